/* The read model, the alert register and API keys. Plain SQL: what runs is what you read. */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE incidents (
      incident_id       text PRIMARY KEY,
      dedup_key         text NOT NULL,
      title             text NOT NULL,
      source            text NOT NULL,
      severity          text NOT NULL,
      phase             text NOT NULL,
      escalation_level  integer NOT NULL,
      commander         text,
      alert_count       integer NOT NULL,
      opened_at         timestamptz NOT NULL,
      acknowledged_at   timestamptz,
      acknowledged_by   text,
      phase_entered_at  jsonb NOT NULL,
      sla_breaches      jsonb NOT NULL,
      next_deadline     jsonb,
      state             jsonb NOT NULL,
      state_version     integer NOT NULL,
      updated_at        timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX incidents_phase_opened_at ON incidents (phase, opened_at DESC);

    -- One row per dedup key: the first alert of a key inserts it, which is how intake knows
    -- whether an alert opened an incident or joined one.
    CREATE TABLE incident_keys (
      dedup_key    text PRIMARY KEY,
      incident_id  text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now()
    );

    -- (source, source_ref) identifies one alert: sending it twice records it once.
    CREATE TABLE alerts (
      alert_id     text PRIMARY KEY,
      source       text NOT NULL,
      source_ref   text NOT NULL,
      incident_id  text NOT NULL,
      dedup_key    text NOT NULL,
      severity     text NOT NULL,
      title        text NOT NULL,
      payload      jsonb NOT NULL,
      received_at  timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT alerts_source_ref_unique UNIQUE (source, source_ref)
    );
    CREATE INDEX alerts_incident_id ON alerts (incident_id);

    -- What the dry-run adapters would have done, once per idempotency key.
    CREATE TABLE dry_run_actions (
      idempotency_key  text PRIMARY KEY,
      adapter          text NOT NULL,
      incident_id      text,
      action           jsonb NOT NULL,
      recorded_at      timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX dry_run_actions_incident_id ON dry_run_actions (incident_id);

    CREATE TABLE api_keys (
      key_id       text PRIMARY KEY,
      name         text NOT NULL,
      role         text NOT NULL CHECK (role IN ('integration', 'responder', 'manager', 'auditor', 'admin')),
      secret_hash  bytea NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      revoked_at   timestamptz
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE api_keys, dry_run_actions, alerts, incident_keys, incidents;`);
};
