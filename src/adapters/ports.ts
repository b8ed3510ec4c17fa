import type { Asset } from '../domain/asset';
import type { SequencedLifecycleEvent } from '../domain/lifecycle-events';

/**
 * The small interfaces Firebreak talks to the outside through. Every request carries an
 * idempotency key: an adapter must treat a repeated key as the same request, because activities
 * are retried.
 */

/** A message to a person or channel. */
export interface Notification {
  idempotencyKey: string;
  incidentId: string;
  /** The escalation level or role addressed, e.g. `ir_manager`. */
  recipient: string;
  /** Who that is right now, from the roster (the level's name when nobody is rostered). */
  people?: string[];
  subject: string;
  body: string;
}

export interface Notifier {
  send(notification: Notification): Promise<void>;
}

/** A containment or recovery action on one asset: isolate a host, disable an account, undo it. */
export interface AssetAction {
  idempotencyKey: string;
  incidentId: string;
  asset: Asset;
  action: string;
}

export interface ContainmentAdapter {
  execute(action: AssetAction): Promise<void>;
}

export interface EvidenceRequest {
  idempotencyKey: string;
  incidentId: string;
  asset: Asset;
  artifactType: string;
}

/** Where the collected artifact is kept, and what it hashes to. */
export interface CollectedArtifact {
  location: string;
  sha256: string;
  sizeBytes: number;
}

export interface ForensicsAdapter {
  collect(request: EvidenceRequest): Promise<CollectedArtifact>;
}

export interface PatchStatus {
  patched: boolean;
  detail?: string;
}

export interface VulnerabilityScanner {
  patchStatus(request: { incidentId: string; asset: Asset }): Promise<PatchStatus>;
}

/** What the event sink said to one event: taken, or refused for good (it is not sent again). */
export type EventSinkAnswer = { outcome: 'delivered' } | { outcome: 'refused'; status: number; reason: string };

/**
 * Where lifecycle events go (a ticketing system, a SIEM). `deliver` throws when the event may be
 * taken later (5xx, time-out, network): it is sent again, under the same id.
 */
export interface EventSink {
  deliver(event: SequencedLifecycleEvent): Promise<EventSinkAnswer>;
}

export interface Adapters {
  notifier: Notifier;
  containment: ContainmentAdapter;
  forensics: ForensicsAdapter;
  scanner: VulnerabilityScanner;
  /** Absent when no sink is configured: events are then kept but not sent. */
  eventSink?: EventSink;
}
