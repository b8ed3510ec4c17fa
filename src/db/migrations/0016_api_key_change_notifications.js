/*
 * A change to an API key that decides whether it authenticates, or as whom and with what
 * constraints (revocation, expiry, role, secret, constraints), or its deletion, announces the key's
 * id on the channel `firebreak_api_key_changed` (PostgreSQL NOTIFY, delivered at commit). Each API
 * process keeps the keys it authenticated for a short while and drops a key when it hears of it, so
 * a revocation made through one replica takes effect on every replica. Noting a key's last use
 * (last_used_at) announces nothing: it changes none of that, and happens once a minute per key.
 * TRUNCATE announces '*': every key.
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE FUNCTION firebreak_notify_api_key_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'TRUNCATE' THEN
        PERFORM pg_notify('firebreak_api_key_changed', '*');
      ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('firebreak_api_key_changed', OLD.key_id);
      ELSE
        PERFORM pg_notify('firebreak_api_key_changed', NEW.key_id);
      END IF;
      RETURN NULL;
    END;
    $$;

    CREATE TRIGGER api_keys_notify_changed
      AFTER UPDATE OF revoked_at, expires_at, role, name, secret_hash, sources, correlate_across_sources, max_severity, asset_kinds
        OR DELETE ON api_keys
      FOR EACH ROW EXECUTE FUNCTION firebreak_notify_api_key_changed();

    CREATE TRIGGER api_keys_notify_truncated
      AFTER TRUNCATE ON api_keys
      FOR EACH STATEMENT EXECUTE FUNCTION firebreak_notify_api_key_changed();
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TRIGGER api_keys_notify_truncated ON api_keys;
    DROP TRIGGER api_keys_notify_changed ON api_keys;
    DROP FUNCTION firebreak_notify_api_key_changed();
  `);
};
