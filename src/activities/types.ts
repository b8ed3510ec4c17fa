import type { EscalationRecord, IncidentState } from '../domain/incident';
import type { Severity } from '../domain/severity';

export interface EscalationNotice {
  incidentId: string;
  title: string;
  severity: Severity;
  escalation: EscalationRecord;
}

/** The activities the incident workflow schedules; implemented in this folder. */
export interface IncidentActivities {
  /** Upserts the incident's read-model row; older snapshots never overwrite newer ones. */
  recordIncident(state: IncidentState): Promise<void>;
  /** Pages the escalation's target, once per (incident, level, cause). */
  notify(notice: EscalationNotice): Promise<void>;
}
