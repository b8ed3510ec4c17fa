/* Who each level of the escalation chain pages; read at escalation time, so a change reaches running incidents. */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE roster (
      target      text PRIMARY KEY CHECK (target IN ('on_call', 'ir_manager', 'ciso', 'external_assistance')),
      people      jsonb NOT NULL,
      updated_by  text NOT NULL,
      updated_at  timestamptz NOT NULL DEFAULT now()
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE roster;`);
};
