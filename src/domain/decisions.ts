import type { DecisionSignature } from './decision-signature';
import type { PinnedPlaybook } from './playbook-run';
import type { Principal } from './principal';
import type { RegulatoryClock } from './regulatory';
import type { Strategy } from './response-plan';
import type { Severity } from './severity';

/** People's roles on one incident (not to be confused with API key roles). */
export const INCIDENT_ROLES = ['commander', 'scribe', 'communications', 'responder', 'expert'] as const;
export type IncidentRole = (typeof INCIDENT_ROLES)[number];

export const RESOLUTIONS = ['resolved', 'false_positive', 'duplicate'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface Assessment {
  severity: Severity;
  category: string;
  strategy: Strategy;
  externalAssistance: boolean;
  /** A false positive: the incident ends here, dismissed. */
  dismiss?: { reason: string };
  /**
   * The playbook the response runs, pinned whole: named by the manager, chosen by the playbooks'
   * matching rules, or else the strategy's built-in playbook; resolved by the API from the store.
   * Without one (incidents assessed before 0.4.0) the strategy's coded plan runs.
   */
  playbook?: PinnedPlaybook;
}

/** Another playbook for a running response (what is done stays done). */
export interface PlaybookApplication {
  playbook: PinnedPlaybook;
}

export interface ContainmentApproval {
  approved: boolean;
  reason?: string;
  /** The digest of the containment plan the manager saw (`response.pendingPlanDigest`); refused once the plan changed. */
  planDigest?: string;
}

export interface RoleAssignment {
  role: IncidentRole;
  person: string;
}

export interface EscalationRequest {
  reason: string;
}

export interface Note {
  text: string;
}

export interface ActionItem {
  title: string;
  owner: string;
  dueAt: string;
}

export interface ReviewOutcome {
  lessons: string;
  actionItems: ActionItem[];
}

export interface Closure {
  resolution: Resolution;
  summary: string;
}

/** Regulators whose clocks apply, each counted from its start event. Clocks are computed at the API. */
export interface RegimeDeclaration {
  regime: string;
  startedAt: string;
  clocks: RegulatoryClock[];
}

/** The materiality determination (SEC 8-K Item 1.05 counts from it). */
export interface MaterialityDetermination {
  material: boolean;
  determinedAt: string;
  rationale: string;
  clocks: RegulatoryClock[];
}

export interface FilingRecord {
  regime: string;
  stage: string;
  reference: string;
  filedAt: string;
  lateReason?: string;
}

/** External incident-response help engaged under a contract or an insurance policy. */
export interface ExternalAssistanceEngagement {
  provider: string;
  /** Contract number or insurance policy reference. */
  reference: string;
  engagedAt: string;
}

/** A decision as it travels to the workflow: what was decided, by whom (from the API key), signed by the API. */
export interface Decided<T> {
  principal: Principal;
  decision: T;
  /** The API's signature (0.5.0 on); the workflow refuses a decision without a valid one. */
  signature?: DecisionSignature;
}
