import type { ClientConfig } from 'pg';
import type { Logger } from 'pino';
import { ChannelListener } from './channel-listener';

/** The channel migration 0016's trigger notifies on every change that bears on authentication ('*': every key). */
export const API_KEY_CHANGED_CHANNEL = 'firebreak_api_key_changed';

/** How long a key is kept at most, even when no change is heard: a backstop, not what revocation relies on. */
export const API_KEY_CACHE_TTL_MS = 60_000;
/** More keys than this are not kept: the cache starts again rather than grow without end. */
const MAX_KEYS = 10_000;

/** A ticket taken before reading a key, so a read that a change overtook is not kept. */
export type CacheTicket = number;

/**
 * The api_keys rows this API process authenticated lately, so a busy integration's alerts do not
 * each read its key from PostgreSQL. Every decision is still made on the row (secret compared,
 * revocation and expiry checked against the clock on every request); what the cache must never do is
 * keep a row that has changed. So it keeps rows only while its own LISTEN connection is in place:
 * a change made through any replica reaches every replica as a notification sent at commit and drops
 * the key here; while the connection is down nothing is kept and every request reads PostgreSQL, as
 * it did before. A read that a notification (or a lost connection) overtook is not kept. The
 * notification arrives a moment after the commit, so a request in that moment can still pass on
 * another replica; the replica that revoked a key forgets it at commit (ApiKeyStore.revoke). In the
 * same way a lost connection is known here only once its end reaches this process: a change
 * committed in that moment is not heard, and a request before the loss is known can still pass.
 */
export class ApiKeyCache<Row = unknown> {
  private readonly rows = new Map<string, { row: Row; until: number }>();
  /** Bumped by every change heard and every loss or return of the connection. */
  private epoch = 0;
  private listening = false;
  private listener: ChannelListener | undefined;

  private constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  /** Listens from now on; resolves once the first LISTEN is in place (or its failure is logged and retried). */
  static async start<Row>(config: ClientConfig, logger: Logger, options: { ttlMs?: number; clock?: () => number } = {}): Promise<ApiKeyCache<Row>> {
    const cache = new ApiKeyCache<Row>(options.ttlMs ?? API_KEY_CACHE_TTL_MS, options.clock ?? Date.now);
    const messages = {
      again: 'listening for API key changes again: authenticated keys are kept again',
      lost: 'API key change listener lost its connection: every request reads its key until it is back',
    };
    cache.listener = await ChannelListener.start(config, API_KEY_CHANGED_CHANNEL, logger, messages, {
      notified: (keyId) => cache.forget(keyId || '*'),
      // Reads that began before now may predate a change this connection did not hear.
      listening: () => {
        cache.epoch += 1;
        cache.listening = true;
      },
      lost: () => cache.forgetAll(),
    });
    return cache;
  }

  /** Whether rows are being kept: only while the LISTEN connection is in place. */
  get active(): boolean {
    return this.listening;
  }

  /** Take before reading a key from PostgreSQL; hand back to `keep` with the row read. */
  ticket(): CacheTicket {
    return this.epoch;
  }

  get(keyId: string): Row | undefined {
    if (!this.listening) return undefined;
    const entry = this.rows.get(keyId);
    if (!entry) return undefined;
    if (entry.until <= this.clock()) {
      this.rows.delete(keyId);
      return undefined;
    }
    return entry.row;
  }

  /** Keeps a row read after `ticket` was taken, unless a change or a lost connection came between. */
  keep(keyId: string, row: Row, ticket: CacheTicket): void {
    if (!this.listening || ticket !== this.epoch) return;
    if (this.rows.size >= MAX_KEYS) this.rows.clear();
    this.rows.set(keyId, { row, until: this.clock() + this.ttlMs });
  }

  /** Replaces a kept row in place (the process's own note of a key's last use); never adds one. */
  update(keyId: string, change: (row: Row) => Row): void {
    const entry = this.rows.get(keyId);
    if (entry) entry.row = change(entry.row);
  }

  async close(): Promise<void> {
    this.forgetAll();
    await this.listener?.close();
  }

  /** Drops a key (every key for '*'), and keeps no read that began before. */
  forget(keyId: string): void {
    this.epoch += 1;
    if (keyId === '*') this.rows.clear();
    else this.rows.delete(keyId);
  }

  private forgetAll(): void {
    this.listening = false;
    this.epoch += 1;
    this.rows.clear();
  }
}
