import { Connection, isGrpcServiceError, type TLSConfig } from '@temporalio/client';
import { GRPC_STATUS } from './grpc-status';


/**
 * Channel settings for a connection that must notice a restarted server quickly: gRPC's default
 * reconnect backoff grows to two minutes while the server is down, so a long outage would be
 * followed by a long wait before the first call gets through.
 */
export const QUICK_RECONNECT = {
  'grpc.initial_reconnect_backoff_ms': 250,
  'grpc.max_reconnect_backoff_ms': 1_000,
} as const;

/** Thrown instead of calling Temporal while it is known to be unreachable. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';

  constructor(readonly since: Date) {
    super(`Temporal has not answered since ${since.toISOString()}`);
  }
}

/** What a caller of Temporal needs from the watch: refuse at once while it is down. */
export type TemporalGate = Pick<TemporalReachability, 'assertReachable' | 'reachable'>;

export interface ReachabilityOptions {
  /** Time between probes. */
  intervalMs?: number;
  /** How long one probe may take; a slower answer leaves the verdict as it was. */
  timeoutMs?: number;
  /** TLS to Temporal, as the other connections use (src/temporal/connection-options.ts). */
  tls?: TLSConfig;
}

/**
 * Whether the Temporal frontend answers, kept current by a probe every second over a connection
 * of its own without retries. While it does not, callers refuse at once instead of each waiting
 * out the client's retries (10–20 s per request).
 *
 * Only "unavailable" (nothing listening, connection refused or dropped) marks it down, and any
 * answer marks it up again. A probe that runs out of time changes nothing, so a busy server is
 * never taken for a dead one.
 */
export class TemporalReachability {
  private down: Date | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    private readonly connection: Connection,
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
  ) {}

  /** Starts probing `address` at once and then every `intervalMs`. */
  static watch(address: string, options: ReachabilityOptions = {}): TemporalReachability {
    const connection = Connection.lazy({ address, interceptors: [], channelArgs: QUICK_RECONNECT, ...(options.tls ? { tls: options.tls } : {}) });
    const reachability = new TemporalReachability(connection, options.intervalMs ?? 1_000, options.timeoutMs ?? 2_000);
    reachability.schedule(0);
    return reachability;
  }

  get reachable(): boolean {
    return this.down === undefined;
  }

  /** When the probe first found no server, while it still finds none. */
  get downSince(): Date | undefined {
    return this.down;
  }

  /** Throws `TemporalUnreachableError` while the last conclusive probe found no server. */
  assertReachable(): void {
    if (this.down) throw new TemporalUnreachableError(this.down);
  }

  /** One probe now; resolves once the verdict is updated. */
  async probe(): Promise<void> {
    try {
      await this.connection.withDeadline(Date.now() + this.timeoutMs, () => this.connection.workflowService.getSystemInfo({}));
      this.down = undefined;
    } catch (err) {
      if (!isGrpcServiceError(err) || err.code === GRPC_STATUS.DEADLINE_EXCEEDED) return; // inconclusive
      if (err.code === GRPC_STATUS.UNAVAILABLE) this.down ??= new Date();
      else this.down = undefined; // it answered, if only with an error
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.probing;
    await this.connection.close();
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      this.probing = this.probe().finally(() => this.schedule(this.intervalMs));
    }, delayMs);
    this.timer.unref();
  }
}
