/*
 * Tasks in their own table: one row per incident and task, the read model of the tasks in each
 * incident's state, so a person's to-do list across incidents is one query. Each row carries the
 * incident version it was written from; an older snapshot arriving late never overwrites a newer one.
 */
exports.up = (pgm) => {
  pgm.sql(`
    CREATE TABLE incident_tasks (
      incident_id          text NOT NULL,
      task_id              text NOT NULL,
      kind                 text NOT NULL CHECK (kind IN ('task', 'approval')),
      title                text NOT NULL,
      status               text NOT NULL CHECK (status IN ('open', 'done', 'skipped')),
      -- The person it is assigned to; null while it belongs to a role.
      assignee             text,
      -- Exactly one of the two: an API role, or an incident role whose holder does it.
      owner_role           text,
      owner_incident_role  text,
      due_at               timestamptz NOT NULL,
      created_at           timestamptz NOT NULL,
      completed_at         timestamptz,
      completed_by         text,
      skipped_at           timestamptz,
      incident_version     integer NOT NULL,
      task                 jsonb NOT NULL,
      PRIMARY KEY (incident_id, task_id),
      CHECK ((owner_role IS NULL) <> (owner_incident_role IS NULL))
    );
    -- A person's to-do list, soonest due first; and the open ones past due across everyone.
    CREATE INDEX incident_tasks_assignee_due ON incident_tasks (assignee, due_at, incident_id, task_id);
    CREATE INDEX incident_tasks_open_due ON incident_tasks (due_at, incident_id, task_id) WHERE status = 'open';
  `);
};

exports.down = (pgm) => {
  pgm.sql(`DROP TABLE incident_tasks;`);
};
