import { days, hours, minutes } from './duration';
import { DEFAULT_ESCALATION_CHAIN, type EscalationChain } from './escalation';
import type { Severity } from './severity';

/**
 * The decisions and stages that run against a deadline. `contain` and `forensics` are SLAs on
 * running stages, counted from the start of the response.
 */
export const DEADLINE_KINDS = ['acknowledge', 'assess', 'approveContainment', 'contain', 'forensics', 'patchVerify', 'review'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export interface SeverityPolicy {
  /** Milliseconds allowed from the start of each step until it must be done. */
  deadlines: Record<DeadlineKind, number>;
  /** Milliseconds between further escalations once a deadline has been missed. */
  escalationRepeat: number;
  /**
   * Who each level pages and how often the chain is walked. Absent in the policies of incidents
   * started before chains were configurable: they run on DEFAULT_ESCALATION_CHAIN.
   */
  escalation?: EscalationChain;
  /** Destructive containment (isolating a host, disabling an account) runs without waiting for approval. */
  preApprovedContainment: boolean;
  /** Closing needs a recorded post-incident review. */
  reviewRequired: boolean;
  /** Milliseconds between reminders while the review is outstanding. */
  reviewReminderEvery: number;
  /** Once escalated to the top of the chain, closing needs external assistance recorded as engaged. */
  externalAssistanceAtTop: boolean;
}

export type PolicyTable = Record<Severity, SeverityPolicy>;

/**
 * The default policy table. A running incident carries the table it started with in its
 * workflow input, so editing this table (or the policy file) never moves a running incident's
 * deadlines.
 */
export const DEFAULT_POLICY: PolicyTable = {
  critical: {
    deadlines: {
      acknowledge: minutes(15),
      assess: hours(1),
      approveContainment: minutes(30),
      contain: hours(4),
      forensics: hours(4),
      patchVerify: hours(24),
      review: days(5),
    },
    escalationRepeat: minutes(15),
    escalation: DEFAULT_ESCALATION_CHAIN,
    preApprovedContainment: true,
    reviewRequired: true,
    reviewReminderEvery: days(1),
    externalAssistanceAtTop: true,
  },
  high: {
    deadlines: {
      acknowledge: minutes(30),
      assess: hours(4),
      approveContainment: hours(1),
      contain: hours(24),
      forensics: hours(12),
      patchVerify: days(3),
      review: days(10),
    },
    escalationRepeat: minutes(30),
    escalation: DEFAULT_ESCALATION_CHAIN,
    preApprovedContainment: false,
    reviewRequired: true,
    reviewReminderEvery: days(2),
    externalAssistanceAtTop: false,
  },
  medium: {
    deadlines: {
      acknowledge: hours(4),
      assess: days(1),
      approveContainment: hours(4),
      contain: days(3),
      forensics: days(2),
      patchVerify: days(14),
      review: days(30),
    },
    escalationRepeat: hours(4),
    escalation: DEFAULT_ESCALATION_CHAIN,
    preApprovedContainment: false,
    reviewRequired: false,
    reviewReminderEvery: days(7),
    externalAssistanceAtTop: false,
  },
  low: {
    deadlines: {
      acknowledge: days(1),
      assess: days(3),
      approveContainment: days(1),
      contain: days(7),
      forensics: days(5),
      patchVerify: days(30),
      review: days(60),
    },
    escalationRepeat: days(1),
    escalation: DEFAULT_ESCALATION_CHAIN,
    preApprovedContainment: false,
    reviewRequired: false,
    reviewReminderEvery: days(14),
    externalAssistanceAtTop: false,
  },
};

/** The chain a severity escalates along (the default one for policies that predate configurable chains). */
export const chainFor = (policy: SeverityPolicy): EscalationChain => policy.escalation ?? DEFAULT_ESCALATION_CHAIN;

/**
 * Milliseconds allowed for a deadline; a kind added after an incident's policy was taken (the
 * forensics SLA) falls back to the default table, so an older incident gets it too.
 */
export const deadlineMs = (policy: PolicyTable, severity: Severity, kind: DeadlineKind): number =>
  policy[severity].deadlines[kind] ?? DEFAULT_POLICY[severity].deadlines[kind];
