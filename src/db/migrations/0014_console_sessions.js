/*
 * Console sessions: people signed in through OpenID Connect.
 *
 * The cookie holds a random token; only its SHA-256 is stored, so a copy of this table signs nobody
 * in. A row keeps who the identity provider vouched for (subject, issuer, name, when they
 * authenticated, whether with a second factor and how) and the role their groups gave at sign-in,
 * with the session's CSRF token. A session ends when it expires or when its person logs out
 * (revoked_at). Rows are kept after that, as a record of who was signed in when.
 *
 * The application reads sessions, starts them and ends them; it may not change who a session is
 * for, extend one, or delete one.
 */
const APP_GROUP = 'firebreak_app';

exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE console_sessions (
      token_hash   bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
      subject      text NOT NULL,
      issuer       text NOT NULL,
      name         text NOT NULL,
      role         text NOT NULL CHECK (role IN ('integration', 'responder', 'manager', 'auditor', 'admin')),
      auth_time    timestamptz,
      mfa          boolean NOT NULL,
      amr          text[],
      csrf_token   text NOT NULL,
      created_at   timestamptz NOT NULL DEFAULT now(),
      expires_at   timestamptz NOT NULL,
      revoked_at   timestamptz,
      CHECK (expires_at > created_at)
    );
    CREATE INDEX console_sessions_subject ON console_sessions (issuer, subject);

    DO $$
    BEGIN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${APP_GROUP}') THEN
        GRANT SELECT, INSERT, UPDATE (revoked_at) ON console_sessions TO ${APP_GROUP};
      END IF;
    END $$;
  `);
};

exports.down = (pgm) => {
  pgm.sql('DROP TABLE console_sessions;');
};
