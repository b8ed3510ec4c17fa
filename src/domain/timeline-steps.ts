/**
 * The audit actions an incident's timeline reads from its history: a playbook run's steps and
 * tasks, which the workflow hands to `recordIncident` with the state they led to, so they are in
 * history as that activity's input. A publish that carries one of them runs as a (scheduled)
 * activity; any other publish may run as a local activity, whose input history does not keep.
 */
export const STEP_ACTIONS: ReadonlySet<string> = new Set(['step_started', 'step_done', 'step_skipped', 'step_failed', 'task_opened', 'task_reminder', 'task_overdue', 'playbook_finished', 'apply_playbook']);
