import { AsyncLocalStorage } from 'node:async_hooks';
import { OperatorService, WorkflowService, type CallContext, type ConnectionLike, type ConnectionPlugin, type Metadata } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { GRPC_STATUS } from './grpc-status';

type RpcImpl = Parameters<typeof WorkflowService.create>[0];
type RpcCallback = Parameters<RpcImpl>[2];

/** setTimeout's longest delay; a deadline further away than that is left to the server. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * The core gets each call's deadline this much later, so the call's own timer always ends it first,
 * as DEADLINE_EXCEEDED. With the same deadline, the core's timer now and then fired a hair before,
 * and ended the call as CANCELLED, which reads as neither a deadline nor an unavailable server.
 */
const CORE_DEADLINE_GRACE_MS = 1_000;

/**
 * Shaped as a gRPC `ServiceError` (`isGrpcServiceError`), so the client and the API read it as one.
 * The client looks up status details in its metadata (`metadata.get`), of which it has none.
 */
export class ConnectionCallError extends Error {
  override readonly name = 'ConnectionCallError';
  readonly details: string;
  readonly metadata = { get: (_key: string): Array<string | Buffer> => [] };

  constructor(
    readonly code: number,
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.details = message;
  }
}

/**
 * A client connection to Temporal over the SDK's Rust core, as the worker's, made on the first call
 * rather than at construction: the API starts, and says at /readyz why it is not ready, while
 * Temporal is still down. A call while no connection can be made fails as UNAVAILABLE, and the next
 * call tries again.
 *
 * Measured against the client's grpc-js `Connection`, it costs the caller about half the CPU per
 * call (bench/RESULTS.md). Two things the core's connection does differently are made good here:
 * - a deadline bounds each attempt there, and the core retries an unavailable server for about
 *   10 s whatever the deadline. Here the deadline ends the call (DEADLINE_EXCEEDED), as gRPC's own
 *   (and the core's attempt a second later);
 * - it ignores an abort signal. Here an abort ends the call (CANCELLED).
 * In both cases the request may still reach the server afterwards, as with any call whose answer
 * did not arrive; its answer is dropped.
 */
export class LazyNativeConnection implements ConnectionLike {
  readonly plugins: ConnectionPlugin[] = [];
  readonly workflowService: WorkflowService;
  readonly operatorService: OperatorService;
  private readonly calls = new AsyncLocalStorage<CallContext>();
  private connected: NativeConnection | undefined;
  private connecting: Promise<NativeConnection> | undefined;
  private closed = false;

  constructor(
    private readonly options: NativeConnectionOptions,
    private readonly connect: (options: NativeConnectionOptions) => Promise<NativeConnection> = (o) => NativeConnection.connect(o),
  ) {
    this.workflowService = WorkflowService.create(this.forwardTo((c) => c.workflowService), false, false);
    this.operatorService = OperatorService.create(this.forwardTo((c) => c.operatorService), false, false);
  }

  /** Connects now if not yet connected; rejects while Temporal cannot be reached. */
  async ensureConnected(): Promise<void> {
    await this.connection();
  }

  withDeadline<R>(deadline: number | Date, fn: () => Promise<R>): Promise<R> {
    return this.calls.run({ ...this.calls.getStore(), deadline }, fn);
  }

  withMetadata<R>(metadata: Metadata, fn: () => Promise<R>): Promise<R> {
    const outer = this.calls.getStore();
    return this.calls.run({ ...outer, metadata: { ...outer?.metadata, ...metadata } }, fn);
  }

  withAbortSignal<R>(abortSignal: AbortSignal, fn: () => Promise<R>): Promise<R> {
    return this.calls.run({ ...this.calls.getStore(), abortSignal }, fn);
  }

  /** Closes the connection; one still being made is closed when it is (it gives up after 30 s). */
  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connected;
    this.connected = undefined;
    await connection?.close();
  }

  private connection(): Promise<NativeConnection> {
    if (this.closed) return Promise.reject(new ConnectionCallError(GRPC_STATUS.UNAVAILABLE, 'the connection to Temporal is closed'));
    this.connecting ??= this.connect(this.options).then(
      (c) => {
        if (this.closed) {
          void c.close();
          throw new ConnectionCallError(GRPC_STATUS.UNAVAILABLE, 'the connection to Temporal is closed');
        }
        this.connected = c;
        return c;
      },
      (err: unknown) => {
        this.connecting = undefined; // the next call tries again
        throw new ConnectionCallError(GRPC_STATUS.UNAVAILABLE, `Temporal cannot be reached: ${err instanceof Error ? err.message : String(err)}`, err);
      },
    );
    return this.connecting;
  }

  /** The service's calls, sent on the core's connection with this call's context. */
  private forwardTo(service: (c: NativeConnection) => { rpcImpl: RpcImpl | null }): RpcImpl {
    return (method, requestData, callback) => {
      const context = this.calls.getStore() ?? {};
      const done = settleOnce(callback, context);
      const coreContext = context.deadline === undefined ? context : { ...context, deadline: epochMs(context.deadline) + CORE_DEADLINE_GRACE_MS };
      const send = (c: NativeConnection) => {
        try {
          c.callContextStorage.run(coreContext, () => service(c).rpcImpl?.(method, requestData, done));
        } catch (err) {
          done(err as Error, null); // a request the core refuses outright (the SDK throws for an unknown method)
        }
      };
      if (this.connected) send(this.connected);
      else this.connection().then(send, (err: unknown) => done(err as Error, null));
    };
  }
}

/** The callback, called once: by the answer, or at the call's deadline or abort if those come first. */
function settleOnce(callback: RpcCallback, { deadline, abortSignal }: CallContext): RpcCallback {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const onAbort = () => settle(new ConnectionCallError(GRPC_STATUS.CANCELLED, 'the call was cancelled'), null);
  const settle: RpcCallback = (err, response) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    abortSignal?.removeEventListener('abort', onAbort);
    callback(err, response);
  };
  const ms = deadline === undefined ? undefined : epochMs(deadline) - Date.now();
  if (ms !== undefined && ms <= MAX_TIMER_MS) {
    timer = setTimeout(() => settle(new ConnectionCallError(GRPC_STATUS.DEADLINE_EXCEEDED, 'Deadline exceeded'), null), Math.max(ms, 0));
  }
  if (abortSignal?.aborted) onAbort();
  else abortSignal?.addEventListener('abort', onAbort, { once: true });
  return settle;
}

const epochMs = (deadline: number | Date) => (deadline instanceof Date ? deadline.getTime() : deadline);
