/* The lifecycle's read-model columns, the evidence register with its custody chain, patch checks. */
exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE incidents
      ADD COLUMN category      text,
      ADD COLUMN strategy      text,
      ADD COLUMN assessed_at   timestamptz,
      ADD COLUMN contained_at  timestamptz,
      ADD COLUMN resolved_at   timestamptz,
      ADD COLUMN closed_at     timestamptz;
    CREATE INDEX incidents_severity_opened_at ON incidents (severity, opened_at DESC);

    -- One row per collected artifact; the natural key makes a retried collection a no-op.
    CREATE TABLE evidence_artifacts (
      artifact_id      bigserial PRIMARY KEY,
      incident_id      text NOT NULL,
      asset_kind       text NOT NULL,
      asset_id         text NOT NULL,
      artifact_type    text NOT NULL,
      volatility_rank  integer NOT NULL,
      sha256           text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      size_bytes       bigint NOT NULL CHECK (size_bytes >= 0),
      location         text NOT NULL,
      collected_by     text NOT NULL,
      collected_at     timestamptz NOT NULL,
      CONSTRAINT evidence_artifacts_natural_key UNIQUE (incident_id, asset_kind, asset_id, artifact_type)
    );

    -- Every hand-over of an artifact, numbered per artifact.
    CREATE TABLE custody_entries (
      artifact_id     bigint NOT NULL REFERENCES evidence_artifacts (artifact_id),
      seq             integer NOT NULL,
      action          text NOT NULL,
      from_custodian  text NOT NULL,
      to_custodian    text NOT NULL,
      sha256          text NOT NULL,
      at              timestamptz NOT NULL,
      PRIMARY KEY (artifact_id, seq)
    );

    -- The latest scanner answer per asset of an incident, with how often it was asked.
    CREATE TABLE patch_checks (
      incident_id  text NOT NULL,
      asset_kind   text NOT NULL,
      asset_id     text NOT NULL,
      patched      boolean NOT NULL,
      detail       text,
      checks       integer NOT NULL DEFAULT 1,
      checked_at   timestamptz NOT NULL,
      PRIMARY KEY (incident_id, asset_kind, asset_id)
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TABLE patch_checks, custody_entries, evidence_artifacts;
    DROP INDEX incidents_severity_opened_at;
    ALTER TABLE incidents DROP COLUMN category, DROP COLUMN strategy, DROP COLUMN assessed_at,
      DROP COLUMN contained_at, DROP COLUMN resolved_at, DROP COLUMN closed_at;
  `);
};
