import type { Pool, PoolClient } from 'pg';
import type { LifecycleEvent, SequencedLifecycleEvent } from '../domain/lifecycle-events';

/** The channel the outbox NOTIFYs when events are written, so the relay need not poll. */
export const LIFECYCLE_EVENTS_CHANNEL = 'firebreak_lifecycle_events';

export type OutboxStatus = 'pending' | 'delivered' | 'refused' | 'skipped';

export interface OutboxEvent extends SequencedLifecycleEvent {
  /** Order of arrival across incidents. */
  outboxId: string;
  status: OutboxStatus;
  attempts: number;
  lastError?: string;
}

type Queryable = Pick<Pool | PoolClient, 'query'>;

/**
 * Lifecycle events on their way to the event sink. They are written with the audit entries they
 * come from, in one transaction, so an event exists exactly when its entry does.
 */
export class EventOutbox {
  constructor(private readonly db: Queryable) {}

  /**
   * Numbers and stores new events within the caller's transaction, which must hold the incident's
   * advisory lock (the audit log's): the numbers then follow each other with no gap. An event id
   * already stored, or repeated, is not stored again. One statement: the numbering, the insert, and
   * the notification, which PostgreSQL delivers at commit, and only then: the relay never wakes for
   * a row it cannot see yet.
   */
  static async appendLocked(client: PoolClient, incidentId: string, events: readonly LifecycleEvent[]): Promise<void> {
    if (events.length === 0) return;
    const column = <T>(f: (e: LifecycleEvent) => T) => events.map(f);
    await client.query(
      `WITH sent AS (
         SELECT DISTINCT ON (event_id) * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[]) WITH ORDINALITY
           AS e(event_id, type, entry_key, occurred_at, data, n)
          ORDER BY event_id, n
       ), fresh AS (
         SELECT sent.*, row_number() OVER (ORDER BY n) AS k FROM sent
          WHERE NOT EXISTS (SELECT 1 FROM lifecycle_event_outbox o WHERE o.event_id = sent.event_id)
       ), stored AS (
         INSERT INTO lifecycle_event_outbox (event_id, incident_id, sequence, type, entry_key, occurred_at, data)
         SELECT event_id, $1, (SELECT COALESCE(MAX(sequence), 0) FROM lifecycle_event_outbox WHERE incident_id = $1) + k, type, entry_key, occurred_at, data::jsonb
           FROM fresh ORDER BY k
         ON CONFLICT (event_id) DO NOTHING
         RETURNING 1
       )
       SELECT pg_notify($7, $1) FROM (SELECT count(*) FROM stored) AS done`,
      [incidentId, column((e) => e.id), column((e) => e.type), column((e) => e.entryKey), column((e) => e.time), column((e) => JSON.stringify(e.data)), LIFECYCLE_EVENTS_CHANNEL],
    );
  }

  /** Pending events in order of arrival; within an incident that is sequence order. */
  async pending(limit: number): Promise<OutboxEvent[]> {
    const { rows } = await this.db.query(`SELECT * FROM lifecycle_event_outbox WHERE status = 'pending' ORDER BY id LIMIT $1`, [limit]);
    return rows.map(toEvent);
  }

  async forIncident(incidentId: string): Promise<OutboxEvent[]> {
    const { rows } = await this.db.query('SELECT * FROM lifecycle_event_outbox WHERE incident_id = $1 ORDER BY sequence', [incidentId]);
    return rows.map(toEvent);
  }

  async markDelivered(outboxId: string): Promise<void> {
    await this.settle(outboxId, 'delivered', null);
  }

  /** The sink refused the event for good (a 4xx): it is not sent again. */
  async markRefused(outboxId: string, reason: string): Promise<void> {
    await this.settle(outboxId, 'refused', reason);
  }

  /** No sink is configured: the event is kept, but nobody will be sent it. */
  async markSkipped(outboxIds: readonly string[]): Promise<void> {
    if (outboxIds.length === 0) return;
    await this.db.query(`UPDATE lifecycle_event_outbox SET status = 'skipped', settled_at = now() WHERE id = ANY($1) AND status = 'pending'`, [outboxIds]);
  }

  /** A failed attempt that will be tried again. */
  async recordFailure(outboxId: string, error: string): Promise<void> {
    await this.db.query('UPDATE lifecycle_event_outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1', [outboxId, error.slice(0, 500)]);
  }

  private async settle(outboxId: string, status: OutboxStatus, error: string | null): Promise<void> {
    await this.db.query(
      `UPDATE lifecycle_event_outbox SET status = $2, attempts = attempts + 1, last_error = COALESCE($3, last_error), settled_at = now() WHERE id = $1`,
      [outboxId, status, error === null ? null : error.slice(0, 500)],
    );
  }
}

function toEvent(r: any): OutboxEvent {
  return {
    outboxId: String(r.id),
    id: r.event_id,
    type: r.type,
    incidentId: r.incident_id,
    sequence: r.sequence,
    time: r.occurred_at.toISOString(),
    entryKey: r.entry_key,
    data: r.data,
    status: r.status,
    attempts: r.attempts,
    ...(r.last_error ? { lastError: r.last_error } : {}),
  };
}
