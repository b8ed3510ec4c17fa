import { days, hours, minutes } from './duration';
import type { Severity } from './severity';

/**
 * Who is engaged at each escalation level. Level 0 is paged when the incident opens;
 * every missed deadline moves one level up until the chain is exhausted.
 */
export const ESCALATION_CHAIN = ['on_call', 'ir_manager', 'ciso', 'external_assistance'] as const;
export type EscalationTarget = (typeof ESCALATION_CHAIN)[number];
export const TOP_ESCALATION_LEVEL = ESCALATION_CHAIN.length - 1;

/** The decisions and stages that run against a deadline. */
export const DEADLINE_KINDS = ['acknowledge', 'assess', 'approveContainment', 'contain', 'patchVerify', 'review'] as const;
export type DeadlineKind = (typeof DEADLINE_KINDS)[number];

export interface SeverityPolicy {
  /** Milliseconds allowed from the start of each step until it must be done. */
  deadlines: Record<DeadlineKind, number>;
  /** Milliseconds between further escalations once a deadline has been missed. */
  escalationRepeat: number;
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
      patchVerify: hours(24),
      review: days(5),
    },
    escalationRepeat: minutes(15),
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
      patchVerify: days(3),
      review: days(10),
    },
    escalationRepeat: minutes(30),
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
      patchVerify: days(14),
      review: days(30),
    },
    escalationRepeat: hours(4),
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
      patchVerify: days(30),
      review: days(60),
    },
    escalationRepeat: days(1),
    preApprovedContainment: false,
    reviewRequired: false,
    reviewReminderEvery: days(14),
    externalAssistanceAtTop: false,
  },
};

export function escalationTarget(level: number): EscalationTarget {
  const target = ESCALATION_CHAIN[Math.min(Math.max(level, 0), TOP_ESCALATION_LEVEL)];
  if (!target) throw new RangeError(`no escalation target for level ${level}`);
  return target;
}
