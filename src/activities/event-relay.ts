import { Context } from '@temporalio/activity';
import type { Pool, PoolClient } from 'pg';
import type { EventSink } from '../adapters/ports';
import { EventOutbox, LIFECYCLE_EVENTS_CHANNEL } from '../db/event-outbox';

export interface EventRelayDependencies {
  pool: Pool;
  /** Absent when no sink is configured: pending events are marked skipped. */
  eventSink?: EventSink;
  /** How long to wait for a notification before looking anyway (a safety net, not the mechanism). */
  idlePollMs?: number;
}

export interface RelayRun {
  delivered: number;
  refused: number;
  skipped: number;
}

export interface EventRelayActivities {
  /**
   * Sends pending lifecycle events to the sink in order, waking on the outbox's notifications,
   * for about `forMs`, then returns what it did. A sink that fails for now (5xx, time-out) fails
   * the activity, which is retried: the event goes again under the same id.
   */
  relayLifecycleEvents(request: { forMs: number }): Promise<RelayRun>;
}

/** One relay per database at a time, or two could send an incident's events out of order. */
const RELAY_LOCK = 'firebreak-lifecycle-event-relay';
const BATCH = 100;

export function createEventRelayActivities(deps: EventRelayDependencies): EventRelayActivities {
  const idlePollMs = deps.idlePollMs ?? 15_000;
  return {
    async relayLifecycleEvents({ forMs }) {
      const context = Context.current();
      const until = Date.now() + forMs;
      const run: RelayRun = { delivered: 0, refused: 0, skipped: 0 };
      const client = await deps.pool.connect();
      let broken = false;
      // A dropped connection must fail this attempt (it is retried), not kill the worker process.
      const onError = () => {
        broken = true;
        wake();
      };
      let wake: () => void = () => undefined;
      const onNotification = () => wake();
      client.on('error', onError);
      client.on('notification', onNotification);
      const cancelled = context.cancelled.catch(() => wake());
      const sleep = (ms: number) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      const stopping = () => broken || context.cancellationSignal.aborted || Date.now() >= until;
      let locked = false;
      try {
        await client.query(`LISTEN ${LIFECYCLE_EVENTS_CHANNEL}`);
        while (!(locked = await tryLock(client))) {
          context.heartbeat({ waitingFor: 'another relay' });
          if (stopping()) return run;
          await sleep(Math.min(5_000, Math.max(until - Date.now(), 0)));
        }
        const outbox = new EventOutbox(client);
        while (!stopping()) {
          context.heartbeat(run);
          const pending = await outbox.pending(BATCH);
          if (pending.length === 0) {
            await sleep(Math.min(idlePollMs, Math.max(until - Date.now(), 0)));
            continue;
          }
          if (!deps.eventSink) {
            await outbox.markSkipped(pending.map((e) => e.outboxId));
            run.skipped += pending.length;
            continue;
          }
          for (const event of pending) {
            if (stopping()) break;
            context.heartbeat(run);
            let answer;
            try {
              answer = await deps.eventSink.deliver(event);
            } catch (err) {
              await outbox.recordFailure(event.outboxId, err instanceof Error ? err.message : String(err));
              throw err;
            }
            if (answer.outcome === 'delivered') {
              await outbox.markDelivered(event.outboxId);
              run.delivered += 1;
            } else {
              // Refused for good: kept on the row, and the incident's later events still go out.
              await outbox.markRefused(event.outboxId, answer.reason);
              run.refused += 1;
            }
          }
        }
        if (broken) throw new Error('the relay lost its database connection');
        return run;
      } finally {
        client.off('notification', onNotification);
        void cancelled;
        if (!broken) {
          await client.query(`UNLISTEN ${LIFECYCLE_EVENTS_CHANNEL}`).catch(() => (broken = true));
          if (locked) await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [RELAY_LOCK]).catch(() => (broken = true));
        }
        client.off('error', onError);
        // A connection that failed, or may still hold the lock, is closed rather than reused.
        client.release(broken);
      }
    },
  };
}

async function tryLock(client: PoolClient): Promise<boolean> {
  const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [RELAY_LOCK]);
  return rows[0].locked === true;
}
