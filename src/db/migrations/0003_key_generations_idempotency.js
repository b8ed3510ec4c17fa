/*
 * A dedup key whose incident closed opens a new incident: the key remembers its generation.
 * Idempotency-Key answers are kept per API key.
 */
exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE incident_keys ADD COLUMN generation integer NOT NULL DEFAULT 1;

    CREATE TABLE idempotency_records (
      key_id           text NOT NULL,
      idempotency_key  text NOT NULL,
      request_hash     text NOT NULL,
      status           integer NOT NULL,
      response         jsonb NOT NULL,
      created_at       timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (key_id, idempotency_key)
    );
    CREATE INDEX idempotency_records_created_at ON idempotency_records (created_at);
    CREATE INDEX incidents_opened_at_id ON incidents (opened_at DESC, incident_id DESC);
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP INDEX incidents_opened_at_id;
    DROP TABLE idempotency_records;
    ALTER TABLE incident_keys DROP COLUMN generation;
  `);
};
