/*
 * Abuse limits shared by every API replica on the database.
 *
 * `rate_limits` is rate-limiter-flexible's PostgreSQL store (its own layout, created here so the
 * application needs no right to create tables): one row per limited key, its points used and when
 * its window expires (milliseconds since the epoch).
 *
 * `denial_windows` counts refused requests (403, and 401 for a known key) per key, incident and
 * window, so the audit chain gets one entry per window with the count instead of one per request.
 * A window is claimed once it has closed, appended to the chain, then marked appended; a denial
 * that finds its window claimed counts in the next one. Rows are working state, not the record:
 * the application updates and deletes them.
 */
const APP_GROUP = 'firebreak_app';

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE rate_limits (
      key     varchar(255) PRIMARY KEY,
      points  integer NOT NULL DEFAULT 0,
      expire  bigint
    );
    CREATE INDEX rate_limits_expire ON rate_limits (expire);

    CREATE TABLE denial_windows (
      key_id        text NOT NULL,
      incident_id   text NOT NULL,
      window_start  timestamptz NOT NULL,
      window_ms     integer NOT NULL CHECK (window_ms > 0),
      actor         text NOT NULL,
      actor_role    text NOT NULL,
      count         integer NOT NULL CHECK (count > 0),
      -- How many of each: {"403": 98, "401": 2} and {"POST /v1/incidents/:id/close": 100}.
      statuses      jsonb NOT NULL,
      actions       jsonb NOT NULL,
      first_at      timestamptz NOT NULL,
      last_at       timestamptz NOT NULL,
      claimed_at    timestamptz,
      appended_at   timestamptz,
      PRIMARY KEY (key_id, incident_id, window_start)
    );
    CREATE INDEX denial_windows_unappended ON denial_windows (window_start) WHERE appended_at IS NULL;

    -- The application's group, where the least-privilege migration has created it.
    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_GROUP}') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limits, denial_windows TO ${APP_GROUP};
      END IF;
    END $$;
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TABLE denial_windows;
    DROP TABLE rate_limits;
  `);
};
