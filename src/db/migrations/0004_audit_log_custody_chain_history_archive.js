/*
 * The tamper-evident audit log: append-only (a trigger refuses UPDATE, DELETE and TRUNCATE for
 * every role; a superuser can only get round it deliberately, and the hash chain then shows it),
 * hash-chained per incident. Custody entries get the same chain per artifact. Closed incidents'
 * histories are archived here so audits outlive Temporal's retention.
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE audit_log (
      incident_id  text NOT NULL,
      seq          integer NOT NULL CHECK (seq >= 1),
      entry_key    text NOT NULL,
      at           timestamptz NOT NULL,
      actor        text NOT NULL,
      actor_role   text NOT NULL,
      action       text NOT NULL,
      outcome      text NOT NULL,
      details      jsonb NOT NULL,
      prev_hash    text NOT NULL,
      hash         text NOT NULL,
      PRIMARY KEY (incident_id, seq),
      CONSTRAINT audit_log_entry_key UNIQUE (incident_id, entry_key)
    );

    CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$;
    CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;

    ALTER TABLE custody_entries ADD COLUMN prev_hash text, ADD COLUMN hash text;
    CREATE TRIGGER custody_entries_append_only BEFORE UPDATE OR DELETE ON custody_entries FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER custody_entries_no_truncate BEFORE TRUNCATE ON custody_entries FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    CREATE TABLE incident_histories (
      incident_id  text NOT NULL,
      run_index    integer NOT NULL,
      run_id       text NOT NULL,
      history      jsonb NOT NULL,
      archived_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (incident_id, run_index)
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TABLE incident_histories;
    DROP TRIGGER custody_entries_no_truncate ON custody_entries;
    DROP TRIGGER custody_entries_append_only ON custody_entries;
    ALTER TABLE custody_entries DROP COLUMN prev_hash, DROP COLUMN hash;
    DROP TABLE audit_log;
    DROP FUNCTION refuse_change();
  `);
};
