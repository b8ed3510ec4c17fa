/*
 * Least privilege. The API and the worker log in as a role that is a member of the NOLOGIN group
 * `firebreak_app` and owns nothing; migrations run as the owner. This file is the one place that
 * says what the group may do, table by table, read off every query in src/. A table created by a
 * later migration gets nothing unless that migration grants it: there are no default privileges.
 *
 * The evidence register and the history archive become append-only like the audit log and the
 * custody chain: a trigger refuses UPDATE, DELETE and TRUNCATE for every role, and the group is
 * granted nothing but SELECT and INSERT on them.
 *
 * Custody links get the version of their hash: version 2 (written from now on) makes an
 * artifact's first link commit to its whole evidence record; chains written before stay version 1
 * and still verify.
 */
const APP_GROUP = 'firebreak_app';

/** What the application does with each table. Anything not here it may not do. */
const TABLE_GRANTS = {
  // Written once, read for ever.
  audit_log: 'SELECT, INSERT',
  custody_entries: 'SELECT, INSERT',
  evidence_artifacts: 'SELECT, INSERT',
  incident_histories: 'SELECT, INSERT',
  playbook_versions: 'SELECT, INSERT',
  idempotency_records: 'SELECT, INSERT',
  dry_run_actions: 'SELECT, INSERT',
  // An alert moves to a new incident when its key's incident has closed; nothing else of it changes.
  alerts: 'SELECT, INSERT, UPDATE (incident_id)',
  // A key moves to its next generation (the row is locked FOR UPDATE while it does).
  incident_keys: 'SELECT, INSERT, UPDATE (incident_id, generation)',
  // Read models and registers kept current by upserts.
  incidents: 'SELECT, INSERT, UPDATE',
  incident_tasks: 'SELECT, INSERT, UPDATE',
  observables: 'SELECT, INSERT, UPDATE',
  patch_checks: 'SELECT, INSERT, UPDATE',
  roster: 'SELECT, INSERT, UPDATE',
  lifecycle_event_outbox: 'SELECT, INSERT, UPDATE',
  // Keys are issued and revoked through the API.
  api_keys: 'SELECT, INSERT, UPDATE',
};

/** Sequences behind the bigserial columns the application inserts into. */
const SEQUENCES = ['evidence_artifacts_artifact_id_seq', 'lifecycle_event_outbox_id_seq'];

/** Tables whose rows are never changed once written. */
const NEWLY_APPEND_ONLY = ['evidence_artifacts', 'incident_histories'];

exports.up = (pgm) => {
  pgm.sql(`
    -- Roles belong to the cluster, not the database: another database may have created it, and
    -- another migration may be creating it right now (a concurrent CREATE waits for the first to
    -- commit, then fails with unique_violation).
    DO $$
    BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_GROUP}') THEN
        CREATE ROLE ${APP_GROUP} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
      NULL;
    END $$;

    -- Nobody but the owner creates objects (PostgreSQL 15 and later already say so).
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    GRANT USAGE ON SCHEMA public TO ${APP_GROUP};
    DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${APP_GROUP}', current_database()); END $$;

    ${Object.entries(TABLE_GRANTS).map(([table, privileges]) => `GRANT ${privileges} ON ${table} TO ${APP_GROUP};`).join('\n    ')}
    GRANT USAGE ON SEQUENCE ${SEQUENCES.join(', ')} TO ${APP_GROUP};

    ${NEWLY_APPEND_ONLY.map((table) => `
    CREATE TRIGGER ${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change();
    CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();`).join('')}

    -- Existing links are version 1; every new link states its version.
    ALTER TABLE custody_entries ADD COLUMN hash_version smallint NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));
    ALTER TABLE custody_entries ALTER COLUMN hash_version DROP DEFAULT;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    ALTER TABLE custody_entries DROP COLUMN hash_version;
    ${NEWLY_APPEND_ONLY.map((table) => `
    DROP TRIGGER ${table}_no_truncate ON ${table};
    DROP TRIGGER ${table}_append_only ON ${table};`).join('')}
    REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${APP_GROUP};
    REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${APP_GROUP};
    REVOKE ALL ON SCHEMA public FROM ${APP_GROUP};
    DO $$ BEGIN EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${APP_GROUP}', current_database()); END $$;
  `);
};
