import { createHash } from 'node:crypto';
import type { AuditEntryInput } from './audit-chain';

/**
 * What Firebreak tells a ticketing system or SIEM about an incident's life, as CloudEvents.
 * Each event comes from one audit entry (whose key is unique per incident), so it is created once
 * and its id is the same on every delivery: a receiver deduplicates by id.
 */
export const LIFECYCLE_EVENT_TYPES = {
  opened: 'org.firebreak.incident.opened',
  acknowledged: 'org.firebreak.incident.acknowledged',
  phaseChanged: 'org.firebreak.incident.phase.changed',
  escalated: 'org.firebreak.incident.escalated',
  containmentAction: 'org.firebreak.incident.containment.action_finished',
  filingRecorded: 'org.firebreak.incident.filing.recorded',
  closed: 'org.firebreak.incident.closed',
  dismissed: 'org.firebreak.incident.dismissed',
} as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[keyof typeof LIFECYCLE_EVENT_TYPES];

/** The CloudEvents `source` of every lifecycle event. */
export const LIFECYCLE_EVENT_SOURCE = 'urn:firebreak:incidents';

/**
 * The per-incident sequence number's extension attribute. Not `sequence`: the documented
 * CloudEvents extension of that name is a lexicographically ordered string, and this is an integer.
 */
export const SEQUENCE_ATTRIBUTE = 'incidentsequence';

/** One lifecycle event before the outbox numbers it. */
export interface LifecycleEvent {
  id: string;
  type: LifecycleEventType;
  /** The incident id (the CloudEvents `subject`). */
  incidentId: string;
  /** When it happened (the CloudEvents `time`), from the audit entry. */
  time: string;
  /** The audit entry it comes from. */
  entryKey: string;
  data: Record<string, unknown>;
}

/** A lifecycle event as the outbox keeps and the sink receives it: numbered within its incident, 1, 2, 3… */
export interface SequencedLifecycleEvent extends LifecycleEvent {
  sequence: number;
}

/** A stable id: the same incident, entry and position give the same id on every redelivery. */
export function lifecycleEventId(incidentId: string, entryKey: string, index = 0): string {
  const hex = createHash('sha256').update(`firebreak-lifecycle-event\u0000${incidentId}\u0000${entryKey}\u0000${index}`, 'utf8').digest('hex');
  // Shaped as a UUID (version 8, "custom"), which receivers' id columns usually accept.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const by = (entry: AuditEntryInput) => ({ name: entry.actor, role: entry.actorRole });

/** An applied decision's own arguments, as the workflow audited them. */
const decisionOf = (entry: AuditEntryInput) => (entry.details.decision ?? {}) as Record<string, unknown>;

const appliedDecision = (entry: AuditEntryInput, name: string) => entry.entryKey.startsWith('decision:') && entry.outcome === 'applied' && entry.action === name;

/**
 * The lifecycle events of audit entries written together (one `recordIncident` call), in their
 * order. The batch lets a closing or dismissing phase entry carry the decision that caused it.
 * Entries that are not lifecycle events (notes, reminders, rejected requests, …) give none.
 */
export function lifecycleEventsOf(incidentId: string, entries: readonly AuditEntryInput[]): LifecycleEvent[] {
  const events: LifecycleEvent[] = [];
  const event = (entry: AuditEntryInput, type: LifecycleEventType, data: Record<string, unknown>, index = 0) =>
    events.push({ id: lifecycleEventId(incidentId, entry.entryKey, index), type, incidentId, time: entry.at, entryKey: entry.entryKey, data });

  for (const entry of entries) {
    const key = entry.entryKey;
    if (key === 'opened') {
      const { title, source, severity, dedupKey } = entry.details;
      event(entry, LIFECYCLE_EVENT_TYPES.opened, { title, source, severity, dedupKey, phase: 'detected' });
    } else if (appliedDecision(entry, 'acknowledge')) {
      event(entry, LIFECYCLE_EVENT_TYPES.acknowledged, { by: by(entry) });
    } else if (appliedDecision(entry, 'recordFiling')) {
      const { regime, stage, reference, filedAt, lateReason } = decisionOf(entry);
      event(entry, LIFECYCLE_EVENT_TYPES.filingRecorded, { regime, stage, reference, filedAt, ...(lateReason ? { lateReason } : {}), by: by(entry) });
    } else if (key.startsWith('page:') && entry.action === 'escalate') {
      const { level, target, targets, cause, reason, page, loop, repeat, commander } = entry.details;
      event(entry, LIFECYCLE_EVENT_TYPES.escalated, {
        level,
        targets: targets ?? [target],
        cause,
        reason,
        ...(page !== undefined ? { page } : {}),
        ...(loop !== undefined ? { loop } : {}),
        ...(repeat ? { repeat } : {}),
        ...(commander ? { commander } : {}),
        ...(cause === 'manual' ? { by: by(entry) } : {}),
      });
    } else if (key === 'stage:containment' || key.startsWith('stage:containment:')) {
      // The built-in plan's stage, or a playbook's contain step (`stage:containment:<step>`).
      const outcomes = (entry.details.outcomes ?? []) as Array<{ asset: unknown; action: string; status: string }>;
      outcomes.forEach((o, index) => event(entry, LIFECYCLE_EVENT_TYPES.containmentAction, { asset: o.asset, action: o.action, status: o.status }, index));
    } else if (key.startsWith('phase:')) {
      const phase = entry.details.phase as string;
      const severity = entry.details.severity;
      if (phase === 'detected') continue; // the opened event says so
      if (phase === 'closed') {
        const decision = entries.find((e) => appliedDecision(e, 'close'));
        const { resolution, summary } = decision ? decisionOf(decision) : {};
        event(entry, LIFECYCLE_EVENT_TYPES.closed, { phase, severity, ...(decision ? { resolution, summary, by: by(decision) } : {}) });
      } else if (phase === 'dismissed') {
        const decision = entries.find((e) => appliedDecision(e, 'assess'));
        const reason = decision ? (decisionOf(decision).dismiss as { reason?: string } | undefined)?.reason : undefined;
        event(entry, LIFECYCLE_EVENT_TYPES.dismissed, { phase, severity, ...(decision ? { reason, by: by(decision) } : {}) });
      } else {
        event(entry, LIFECYCLE_EVENT_TYPES.phaseChanged, { phase, severity });
      }
    }
  }
  return events;
}
