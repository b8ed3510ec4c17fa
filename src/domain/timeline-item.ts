/**
 * One line of an incident's timeline (GET /v1/incidents/:id/timeline), as src/audit/timeline.ts
 * builds it and the console shows it. No imports: the console's bundle reads these types too.
 */
export interface TimelineItem {
  at: string;
  kind: 'opened' | 'alert' | 'note' | 'decision' | 'correlation' | 'notification' | 'escalation' | 'stage' | 'step' | 'phase' | 'run' | 'custody' | 'follow_up';
  action: string;
  actor?: string;
  outcome: string;
  details?: unknown;
  /** Where the item comes from: the workflow history (the record of truth), the audit log, or the custody chain. */
  source: 'history' | 'audit-log' | 'custody';
  runId?: string;
  eventId?: number;
  auditSeq?: number;
}

/** A page of the timeline as the API answers it. */
export interface TimelineAnswer {
  incidentId: string;
  /** Where the history came from (the live workflow, or the archive once its run is gone). */
  source: string;
  nextCursor: string | null;
  /** Whether the items before this page are still the ones the previous pages showed. */
  verification: { valid: boolean; problems: Array<{ kind: 'timeline_changed'; position: number; reason: string }> };
  items: TimelineItem[];
}
