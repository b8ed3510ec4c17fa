import { EventEmitter } from 'node:events';
import type { ClientConfig } from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ChannelListener } from './channel-listener';

/** The channel migration 0015's trigger notifies on every read-model write. */
export const INCIDENT_CHANGED_CHANNEL = 'firebreak_incident_changed';

const incidentChangeSchema = z.object({ incidentId: z.string().min(1), version: z.number().int(), phase: z.string() });
export type IncidentChange = z.infer<typeof incidentChangeSchema>;

/**
 * One LISTEN connection per API process, shared by every event-stream client: PostgreSQL tells each
 * replica of every incident written, by whichever process wrote it. The connection is its own (a
 * pooled one would be handed to queries while it listens) and comes back by itself after a drop;
 * changes made while it was away are not replayed, so subscribers hear `resync` and refetch.
 */
export class IncidentChangeFeed {
  private readonly events = new EventEmitter();
  private listener: ChannelListener | undefined;

  private constructor(private readonly logger: Logger) {
    // Every stream subscribes; the default warning at 10 listeners is not a leak here.
    this.events.setMaxListeners(0);
  }

  /** Listens from now on; resolves once the first LISTEN is in place (or its failure is logged and retried). */
  static async start(config: ClientConfig, logger: Logger): Promise<IncidentChangeFeed> {
    const feed = new IncidentChangeFeed(logger);
    const messages = { again: 'listening for incident changes again', lost: 'incident change feed lost its connection' };
    feed.listener = await ChannelListener.start(config, INCIDENT_CHANGED_CHANNEL, logger, messages, {
      notified: (payload) => feed.changed(payload),
      listening: (again) => {
        if (again) feed.events.emit('resync');
      },
      lost: () => {},
    });
    return feed;
  }

  /** Calls `onChange` for every change and `onResync` after a reconnection; returns the unsubscribe. */
  subscribe(onChange: (change: IncidentChange) => void, onResync: () => void = () => {}): () => void {
    this.events.on('change', onChange);
    this.events.on('resync', onResync);
    return () => {
      this.events.off('change', onChange);
      this.events.off('resync', onResync);
    };
  }

  get subscribers(): number {
    return this.events.listenerCount('change');
  }

  async close(): Promise<void> {
    await this.listener?.close();
  }

  private changed(payload: string): void {
    if (!payload) return;
    let change: IncidentChange;
    try {
      change = incidentChangeSchema.parse(JSON.parse(payload));
    } catch {
      this.logger.warn({ payload: payload.slice(0, 200) }, 'unreadable incident change notification');
      return;
    }
    this.events.emit('change', change);
  }
}
