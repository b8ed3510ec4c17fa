/*
 * Lifecycle events waiting for (or done with) delivery to the event sink. Rows are written in the
 * same transaction as the audit entries they come from, numbered per incident there, and the relay
 * sends pending rows in order. `id` is the order of arrival across incidents.
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE lifecycle_event_outbox (
      id            bigserial PRIMARY KEY,
      event_id      text NOT NULL UNIQUE,
      incident_id   text NOT NULL,
      sequence      integer NOT NULL CHECK (sequence >= 1),
      type          text NOT NULL,
      entry_key     text NOT NULL,
      occurred_at   timestamptz NOT NULL,
      data          jsonb NOT NULL,
      status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'refused', 'skipped')),
      attempts      integer NOT NULL DEFAULT 0,
      last_error    text,
      created_at    timestamptz NOT NULL DEFAULT now(),
      settled_at    timestamptz,
      CONSTRAINT lifecycle_event_outbox_sequence UNIQUE (incident_id, sequence)
    );
    CREATE INDEX lifecycle_event_outbox_pending ON lifecycle_event_outbox (id) WHERE status = 'pending';
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE lifecycle_event_outbox;`);
};
