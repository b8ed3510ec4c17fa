/*
 * Playbooks as versioned data. A version is never edited: a change is a new row with a higher
 * version. `digest` is the SHA-256 of the playbook's canonical JSON, so an incident that pins a
 * version can prove which content it ran; `source` keeps the text as the admin sent it (JSON or YAML).
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE playbook_versions (
      name        text NOT NULL,
      version     integer NOT NULL CHECK (version >= 1),
      digest      text NOT NULL,
      title       text NOT NULL,
      playbook    jsonb NOT NULL,
      format      text NOT NULL CHECK (format IN ('json', 'yaml')),
      source      text NOT NULL,
      created_by  text NOT NULL,
      created_at  timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (name, version)
    );
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE playbook_versions;`);
};
