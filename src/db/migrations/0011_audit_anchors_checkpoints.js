/*
 * Anchors for the audit chain.
 *
 * - Every audit entry gets a global sequence and the instant PostgreSQL stored it, both stamped by
 *   a trigger whatever the inserting role sends (entries from before this migration get a global
 *   sequence in the order they were written, and no `recorded_at`: nobody stamped them).
 * - Signed checkpoints: a Merkle root over every incident's chain head, signed by the checkpoint
 *   signer. Only the group role `firebreak_signer` may insert them; the application's group
 *   `firebreak_app` may only read them. Both tables are append-only, like the audit log.
 *
 * Roles are cluster-wide and test databases migrate concurrently: each role is created only if
 * missing, and a concurrent creation of the same role is not an error.
 */
exports.up = (pgm) => {
  pgm.sql(`
    DO $$ BEGIN
      CREATE ROLE firebreak_app NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$;
    DO $$ BEGIN
      CREATE ROLE firebreak_signer NOLOGIN;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
    END $$;

    CREATE SEQUENCE audit_log_global_seq AS bigint;
    REVOKE ALL ON SEQUENCE audit_log_global_seq FROM PUBLIC;
    ALTER TABLE audit_log ADD COLUMN global_seq bigint, ADD COLUMN recorded_at timestamptz;

    ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
    UPDATE audit_log SET global_seq = ordered.n
      FROM (SELECT incident_id, seq, row_number() OVER (ORDER BY at, incident_id, seq) AS n FROM audit_log) AS ordered
     WHERE audit_log.incident_id = ordered.incident_id AND audit_log.seq = ordered.seq;
    ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;
    SELECT setval('audit_log_global_seq', COALESCE((SELECT max(global_seq) FROM audit_log), 0) + 1, false);

    ALTER TABLE audit_log ALTER COLUMN global_seq SET NOT NULL;
    ALTER TABLE audit_log ADD CONSTRAINT audit_log_global_seq_unique UNIQUE (global_seq);

    -- Security definer: the inserting role needs no right on the sequence, and cannot choose either value.
    CREATE FUNCTION stamp_audit_entry() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    BEGIN
      NEW.global_seq := nextval('audit_log_global_seq');
      NEW.recorded_at := clock_timestamp();
      RETURN NEW;
    END $$;
    REVOKE ALL ON FUNCTION stamp_audit_entry() FROM PUBLIC;
    CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION stamp_audit_entry();

    CREATE TABLE audit_checkpoints (
      seq             integer PRIMARY KEY CHECK (seq >= 1),
      key_id          text NOT NULL,
      -- What was signed: its RFC 8785 canonical JSON is the signed message.
      statement       jsonb NOT NULL,
      statement_hash  text NOT NULL,
      signature       text NOT NULL,
      recorded_at     timestamptz NOT NULL DEFAULT clock_timestamp()
    );
    CREATE TABLE audit_checkpoint_heads (
      checkpoint_seq  integer NOT NULL REFERENCES audit_checkpoints (seq),
      incident_id     text NOT NULL,
      seq             integer NOT NULL,
      hash            text NOT NULL,
      PRIMARY KEY (checkpoint_seq, incident_id)
    );
    CREATE INDEX audit_checkpoint_heads_incident ON audit_checkpoint_heads (incident_id, checkpoint_seq DESC);

    CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER audit_checkpoint_heads_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint_heads FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER audit_checkpoint_heads_no_truncate BEFORE TRUNCATE ON audit_checkpoint_heads FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

    DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO firebreak_signer', current_database()); END $$;
    GRANT USAGE ON SCHEMA public TO firebreak_signer;
    REVOKE ALL ON audit_checkpoints, audit_checkpoint_heads FROM PUBLIC;
    GRANT SELECT, INSERT ON audit_checkpoints, audit_checkpoint_heads TO firebreak_signer;
    GRANT SELECT ON audit_log TO firebreak_signer;
    GRANT SELECT ON audit_checkpoints, audit_checkpoint_heads TO firebreak_app;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TABLE audit_checkpoint_heads;
    DROP TABLE audit_checkpoints;
    DROP TRIGGER audit_log_stamp ON audit_log;
    DROP FUNCTION stamp_audit_entry();
    ALTER TABLE audit_log DROP CONSTRAINT audit_log_global_seq_unique, DROP COLUMN global_seq, DROP COLUMN recorded_at;
    DROP SEQUENCE audit_log_global_seq;
  `);
};
