/*
 * Integration keys are constrained and every key is accountable: the sources a key reports for,
 * whether its dedup keys correlate across sources, a severity cap and the asset kinds it may name;
 * an expiry and when it was last used. Every alert keeps the key that reported it.
 *
 * Keys issued before this migration keep what they could do: any source, any severity, any asset,
 * and dedup keys that correlate across sources (their open incidents keep their dedup keys). Keys
 * issued from now on are scoped to their source unless issued with correlateAcrossSources.
 */
exports.up = (pgm) => {
  pgm.sql(`
    ALTER TABLE api_keys
      ADD COLUMN sources                  text[],
      ADD COLUMN correlate_across_sources boolean NOT NULL DEFAULT true,
      ADD COLUMN max_severity             text CHECK (max_severity IN ('critical', 'high', 'medium', 'low')),
      ADD COLUMN asset_kinds              text[],
      ADD COLUMN expires_at               timestamptz,
      ADD COLUMN last_used_at             timestamptz,
      ADD COLUMN created_by               text;
    ALTER TABLE api_keys ALTER COLUMN correlate_across_sources SET DEFAULT false;

    -- NULL for alerts recorded before keys were kept.
    ALTER TABLE alerts ADD COLUMN key_id text;
    CREATE INDEX alerts_key_id ON alerts (key_id);

    DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'firebreak_app') THEN CREATE ROLE firebreak_app NOLOGIN; END IF;
    END $$;
    -- Issuing, revoking and last-used times. Alerts keep 0010's grant: only their incident moves,
    -- so the key that reported one cannot be rewritten.
    GRANT SELECT, INSERT, UPDATE ON api_keys TO firebreak_app;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP INDEX alerts_key_id;
    ALTER TABLE alerts DROP COLUMN key_id;
    ALTER TABLE api_keys
      DROP COLUMN sources, DROP COLUMN correlate_across_sources, DROP COLUMN max_severity, DROP COLUMN asset_kinds,
      DROP COLUMN expires_at, DROP COLUMN last_used_at, DROP COLUMN created_by;
  `);
};
