import { EventEmitter } from 'node:events';
import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';
import { z } from 'zod';

/** The channel migration 0015's trigger notifies on every read-model write. */
export const INCIDENT_CHANGED_CHANNEL = 'firebreak_incident_changed';

const incidentChangeSchema = z.object({ incidentId: z.string().min(1), version: z.number().int(), phase: z.string() });
export type IncidentChange = z.infer<typeof incidentChangeSchema>;

/** How long to wait before listening again after the connection dropped, doubling up to the last. */
const RECONNECT_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000];

/**
 * One LISTEN connection per API process, shared by every event-stream client: PostgreSQL tells each
 * replica of every incident written, by whichever process wrote it. The connection is its own (a
 * pooled one would be handed to queries while it listens) and comes back by itself after a drop;
 * changes made while it was away are not replayed, so subscribers hear `resync` and refetch.
 */
export class IncidentChangeFeed {
  private readonly events = new EventEmitter();
  /** The connection listening, or being connected to listen. */
  private client: Client | undefined;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: ClientConfig,
    private readonly logger: Logger,
  ) {
    // Every stream subscribes; the default warning at 10 listeners is not a leak here.
    this.events.setMaxListeners(0);
  }

  /** Listens from now on; resolves once the first LISTEN is in place (or its failure is logged and retried). */
  static async start(config: ClientConfig, logger: Logger): Promise<IncidentChangeFeed> {
    const feed = new IncidentChangeFeed(config, logger);
    await feed.listen();
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
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async listen(): Promise<void> {
    const client = new Client(this.config);
    this.client = client;
    client.on('error', (err) => this.dropped(client, err));
    client.on('end', () => this.dropped(client));
    client.on('notification', (message) => {
      if (message.channel !== INCIDENT_CHANGED_CHANNEL || !message.payload) return;
      let change: IncidentChange;
      try {
        change = incidentChangeSchema.parse(JSON.parse(message.payload));
      } catch {
        this.logger.warn({ payload: message.payload.slice(0, 200) }, 'unreadable incident change notification');
        return;
      }
      this.events.emit('change', change);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${INCIDENT_CHANGED_CHANNEL}`);
    } catch (err) {
      this.dropped(client, err);
      return;
    }
    if (this.closed || this.client !== client) {
      await client.end().catch(() => {});
      return;
    }
    if (this.attempt > 0) {
      this.logger.info({ attempts: this.attempt }, 'listening for incident changes again');
      this.events.emit('resync');
    }
    this.attempt = 0;
  }

  private dropped(client: Client, err?: unknown): void {
    // Only the connection in use counts, and only once (a dropped one says both `error` and `end`).
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => {});
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    this.attempt += 1;
    this.logger.warn({ reason: err instanceof Error ? err.message : 'connection ended', retryInMs: delay }, 'incident change feed lost its connection');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listen();
    }, delay);
  }
}
