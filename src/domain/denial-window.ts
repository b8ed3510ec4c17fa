import type { AuditEntryInput } from './audit-chain';

/**
 * Refused requests (403, and 401 for a known key) are counted per key, incident and window, and
 * the audit chain gets one entry per window with the count: a key hammering an incident cannot
 * grow its chain by one entry a request.
 */
export const DENIAL_WINDOW_MS = 60_000;

/** One refused request: who (the key), about which incident, what it asked, the status it got, when. */
export interface Denial {
  keyId: string;
  /** The key's name and role, as an audit entry names its actor. */
  actor: string;
  actorRole: string;
  incidentId: string;
  /** `METHOD /route/:pattern`, as the route table writes it. */
  action: string;
  status: 401 | 403;
  at: Date;
}

/** A closed window of denials, as counted. */
export interface DenialWindow {
  keyId: string;
  incidentId: string;
  windowStart: Date;
  windowMs: number;
  actor: string;
  actorRole: string;
  count: number;
  statuses: Record<string, number>;
  actions: Record<string, number>;
  firstAt: Date;
  lastAt: Date;
}

/** The start of the window `at` falls in; windows are aligned to the epoch (whole minutes by default). */
export function windowStartOf(at: Date, windowMs: number): Date {
  return new Date(Math.floor(at.getTime() / windowMs) * windowMs);
}

/** Names one window, so a window appended twice (a retried flush) is one entry in the chain. */
export function denialEntryKey(window: Pick<DenialWindow, 'keyId' | 'windowStart'>): string {
  return `denied:${window.keyId}:${window.windowStart.toISOString()}`;
}

/**
 * The audit entry of a window. Its instant is the first denial's, so the timeline shows it where
 * the refusals began; its action is the one refused, or `denied requests` when several were
 * (each with its count in `details.actions`).
 */
export function denialEntry(window: DenialWindow): AuditEntryInput {
  const actions = Object.keys(window.actions);
  return {
    entryKey: denialEntryKey(window),
    at: window.firstAt.toISOString(),
    actor: window.actor,
    actorRole: window.actorRole,
    action: actions.length === 1 ? actions[0]! : 'denied requests',
    outcome: 'denied',
    details: {
      keyId: window.keyId,
      count: window.count,
      statuses: window.statuses,
      actions: window.actions,
      window: { from: window.windowStart.toISOString(), to: new Date(window.windowStart.getTime() + window.windowMs).toISOString() },
      firstAt: window.firstAt.toISOString(),
      lastAt: window.lastAt.toISOString(),
    },
  };
}
