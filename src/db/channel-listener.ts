import { Client, type ClientConfig } from 'pg';
import type { Logger } from 'pino';

/** How long to wait before listening again after the connection dropped, doubling up to the last. */
const RECONNECT_DELAYS_MS = [250, 500, 1_000, 2_000, 5_000];

export interface ChannelHandlers {
  /** A notification on the channel (its payload, '' when it had none). */
  notified(payload: string): void;
  /** The LISTEN is in place; `again` when it came back after a lost connection. */
  listening(again: boolean): void;
  /** The connection was lost; notifications sent until `listening(true)` are gone. */
  lost(): void;
}

/**
 * One PostgreSQL connection of its own that LISTENs on one channel and comes back by itself after
 * a drop. Its own, because a pooled connection is handed to queries while it listens and stops
 * hearing. What was notified while it was away is not replayed: the handlers decide what that means.
 */
export class ChannelListener {
  /** The connection listening, or being connected to listen. */
  private client: Client | undefined;
  private closed = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: ClientConfig,
    private readonly channel: string,
    private readonly logger: Logger,
    private readonly messages: { again: string; lost: string },
    private readonly handlers: ChannelHandlers,
  ) {}

  /** Listens from now on; resolves once the first LISTEN is in place (or its failure is logged and retried). */
  static async start(config: ClientConfig, channel: string, logger: Logger, messages: { again: string; lost: string }, handlers: ChannelHandlers): Promise<ChannelListener> {
    const listener = new ChannelListener(config, channel, logger, messages, handlers);
    await listener.listen();
    return listener;
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
      if (message.channel === this.channel) this.handlers.notified(message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      this.dropped(client, err);
      return;
    }
    if (this.closed || this.client !== client) {
      await client.end().catch(() => {});
      return;
    }
    const again = this.attempt > 0;
    if (again) this.logger.info({ attempts: this.attempt }, this.messages.again);
    this.attempt = 0;
    this.handlers.listening(again);
  }

  private dropped(client: Client, err?: unknown): void {
    // Only the connection in use counts, and only once (a dropped one says both `error` and `end`).
    if (this.closed || this.client !== client) return;
    this.client = undefined;
    this.handlers.lost();
    client.end().catch(() => {});
    const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)]!;
    this.attempt += 1;
    this.logger.warn({ reason: err instanceof Error ? err.message : 'connection ended', retryInMs: delay }, this.messages.lost);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.listen();
    }, delay);
  }
}
