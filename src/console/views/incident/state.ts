/**
 * The incident as the console reads it from GET /v1/incidents/:id (and its summary from the list).
 * The domain's own IncidentState cannot be imported here: its module graph reaches node:crypto,
 * which a browser bundle has no business with. So this names only the fields the console shows,
 * spelled as the API sends them; anything else in the answer is ignored.
 */
import type { Role } from '../../../domain/principal';
import type { IncidentRole } from '../../../domain/decisions';
import type { DeadlineKind } from '../../../domain/policy';
import type { Severity } from '../../../domain/severity';

// The enumerations come from the domain modules that own them (those have no Node imports).
export { INCIDENT_ROLES, RESOLUTIONS, type IncidentRole } from '../../../domain/decisions';
export { DEADLINE_KINDS, type DeadlineKind } from '../../../domain/policy';
export { OBSERVABLE_KINDS, TLP_LEVELS } from '../../../domain/observable-record';
export { STRATEGIES } from '../../../domain/response-plan';
export { SEVERITIES, severityLevel, type Severity } from '../../../domain/severity';

export { PHASES, OPEN_PHASES, isOpenPhase, type Phase } from '../../../domain/phase';
import type { Phase } from '../../../domain/phase';

export interface Actor {
  keyId?: string;
  name: string;
  role: Role;
  person?: { subject: string; name: string; mfa: boolean; authTime?: string };
}

export interface Attribution {
  by: Actor;
  at: string;
}

export interface PendingDeadline {
  kind: DeadlineKind;
  dueAt: string;
}

export interface EscalationRecord {
  level: number;
  target: string;
  targets?: string[];
  cause: string;
  reason: string;
  at: string;
  by?: Actor;
  loop?: number;
  page?: number;
  repeat?: true;
  commander?: string;
}

export interface SlaBreach {
  deadline: DeadlineKind;
  phase: Phase;
  dueAt: string;
  detectedAt: string;
}

export interface RegulatoryClock {
  regime: string;
  stage: string;
  startsAfter?: string;
  startedAt?: string;
  dueAt?: string;
  withoutUndueDelay?: true;
  missed: boolean;
  filing?: { reference: string; filedAt: string; late: boolean; by: Actor };
}

export interface IncidentTask {
  taskId: string;
  kind: 'task' | 'approval';
  title: string;
  instructions?: string;
  owner: { role: Role } | { incidentRole: IncidentRole };
  assignee?: string;
  status: 'open' | 'done' | 'skipped';
  dueAt: string;
  nextOverdueAt?: string;
  outcomeFields?: Array<{ name: string; type: 'string' | 'boolean' | 'number'; required: boolean }>;
  evidence?: string[];
  approvers?: Role[];
  distinctApprovers?: 1 | 2;
  approvals?: Array<Attribution & { approved: boolean; reason?: string }>;
  completed?: Attribution;
  skipped?: Attribution & { reason: string };
  reassignments?: Array<Attribution & { from?: string; to: string; reason?: string }>;
  /** The latest comments (the workflow keeps 50). */
  comments?: Array<Attribution & { text: string }>;
}

/** Who a task may be owned by (src/domain/playbook.ts ACTING_ROLES; that module brings zod with it). */
export const ACTING_ROLES = ['responder', 'manager', 'admin'] as const satisfies readonly Role[];

/** A closed incident's follow-ups as a follow-up decision answers them (POST …/follow-ups/:taskId/…). */
export interface FollowUpState {
  incidentId: string;
  commander?: string;
  tasks: IncidentTask[];
  version: number;
}

/** One row of GET /v1/playbooks. */
export interface PlaybookListing {
  name: string;
  title: string;
  latestVersion: number;
  versions: number[];
}

export interface AlertSummary {
  alertId: string;
  source: string;
  title: string;
  severity: Severity;
  receivedAt: string;
  status?: 'resolved';
  assets: Array<{ kind: string; id: string }>;
}

export interface IncidentState {
  incidentId: string;
  title: string;
  source: string;
  severity: Severity;
  category?: string;
  phase: Phase;
  openedAt: string;
  phaseEnteredAt: Partial<Record<Phase, string>>;
  alertCount: number;
  recentAlerts?: AlertSummary[];
  assets?: Array<{ kind: string; id: string }>;
  acknowledgedAt?: string;
  acknowledgedBy?: Actor;
  assessment?: Attribution & { severity: Severity; category: string; strategy: string; externalAssistance: boolean };
  dismissal?: Attribution & { reason: string };
  roles?: Partial<Record<IncidentRole, Attribution & { person: string }>>;
  noteCount?: number;
  recentNotes?: Array<Attribution & { text: string }>;
  response?: {
    completed: string[];
    current?: string;
    awaitingApproval: boolean;
    pendingPlanDigest?: string;
    approval?: Attribution & { approved: boolean; reason?: string; planDigest?: string };
    containment: Array<{ asset: { kind: string; id: string }; action: string; status: string }>;
    artifactsCollected: number;
  };
  containedAt?: string;
  resolvedAt?: string;
  review?: Attribution & { lessons: string; actionItems: Array<{ title: string; owner: string; dueAt: string }> };
  closure?: Attribution & { resolution: string; summary: string };
  closedAt?: string;
  escalationLevel: number;
  escalationLoop?: number;
  escalations?: EscalationRecord[];
  slaBreaches?: SlaBreach[];
  nextDeadline?: PendingDeadline;
  stageDeadlines?: PendingDeadline[];
  regulatoryClocks?: RegulatoryClock[];
  materiality?: Attribution & { material: boolean; determinedAt: string; rationale: string };
  externalAssistance?: Array<Attribution & { provider: string; reference: string; engagedAt: string }>;
  observables?: Array<{ kind: string; value: string; tlp: string; firstSeen: string; lastSeen: string; alertId?: string; addedBy?: string }>;
  relatedIncidents?: Array<{ incidentId: string; kind: string; value: string; alertId: string; at: string }>;
  tasks?: IncidentTask[];
  /** The playbook the response runs (absent on the built-in plans). */
  playbookRun?: {
    pinned: { name: string; version: number; digest: string; playbook: { title?: string; steps: Array<{ id: string; title?: string }> } };
    replaced?: Array<{ name: string; version: number; at: string; by: string }>;
    steps: Record<string, { status: string }>;
  };
  version: number;
}

/** One row of GET /v1/incidents. */
export interface IncidentSummary {
  incidentId: string;
  title: string;
  source: string;
  severity: Severity;
  phase: Phase;
  escalationLevel: number;
  commander: string | null;
  alertCount: number;
  openedAt: string;
  acknowledgedAt: string | null;
  containedAt: string | null;
  resolvedAt: string | null;
  closedAt: string | null;
}

export interface IncidentList {
  items: IncidentSummary[];
  nextCursor: string | null;
}
