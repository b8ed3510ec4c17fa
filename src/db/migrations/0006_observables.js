/* Observables in their own table: one row per incident and value, searchable by value across incidents. */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE observables (
      incident_id  text NOT NULL,
      kind         text NOT NULL,
      value        text NOT NULL,
      tlp          text NOT NULL CHECK (tlp IN ('clear', 'green', 'amber', 'amber+strict', 'red')),
      -- The alert that first brought it; null when a person added it first.
      alert_id     text,
      first_seen   timestamptz NOT NULL,
      last_seen    timestamptz NOT NULL,
      -- Who added it by hand, when someone did.
      added_by     text,
      PRIMARY KEY (incident_id, kind, value)
    );
    -- "Which incidents saw this value?", and correlation at intake.
    CREATE INDEX observables_kind_value ON observables (kind, value);
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE observables;`);
};
