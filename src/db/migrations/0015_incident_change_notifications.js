/*
 * Every write of an incident's read model announces itself on the channel `firebreak_incident_changed`
 * (PostgreSQL NOTIFY, delivered at commit), so each API replica's event stream (GET /v1/events) learns
 * of every change whichever process wrote it. The payload names the incident, its state version and
 * phase, nothing more: a listener reads the rest through the API, with its own rights.
 * The read model's upsert only updates a row with a newer state version, so a snapshot arriving late
 * announces nothing.
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE FUNCTION firebreak_notify_incident_changed() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('firebreak_incident_changed',
        json_build_object('incidentId', NEW.incident_id, 'version', NEW.state_version, 'phase', NEW.phase)::text);
      RETURN NULL;
    END;
    $$;

    CREATE TRIGGER incidents_notify_changed
      AFTER INSERT OR UPDATE ON incidents
      FOR EACH ROW EXECUTE FUNCTION firebreak_notify_incident_changed();
  `);
};

exports.down = (pgm) => {
  pgm.sql(`
    DROP TRIGGER incidents_notify_changed ON incidents;
    DROP FUNCTION firebreak_notify_incident_changed();
  `);
};
