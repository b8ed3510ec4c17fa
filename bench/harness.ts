/**
 * What every benchmark shares: the stack it starts and stops (dev server, embedded PostgreSQL,
 * migrations, worker, API), the load loop, percentiles, and the Markdown it prints.
 */
import { decisionSigningInterceptor } from '../src/decision-keys';
import type { DecisionKeyring } from '../src/domain/decision-signature';
import { incidentBundleOptions, trustingDecisionKeys } from '../src/worker/workflow-bundle';
import { benchDecisionKeys } from './decision-keys';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, NativeConnection, Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import pino, { type Logger } from 'pino';
import { startApi, type RunningApi } from '../src/api/api-service';
import type { RateLimits } from '../src/api/rate-limit';
import { ApiKeyStore } from '../src/db/api-key-store';
import { migrateUp } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import type { AlertSummary } from '../src/domain/incident';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { ROLES, type Role } from '../src/domain/principal';
import { freePort } from '../src/net';
import { startEmbeddedPostgres } from '../src/stack/embedded-postgres';
import { temporalCliPath } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { freeServerPort, startTemporalServer, TEMPORAL_LABELS, temporalKind } from '../src/temporal/temporal-server';
import { createIncidentWorker, eventRelayWorkflowId, incidentWorkflowsPath } from '../src/worker/incident-worker';
import { alertSignal, stateQuery } from '../src/workflows/messages';
import { post } from './http-client';
import { coresByRole, machineBusySeconds, processTreeCpu, type ProcessRole } from './process-cpu';
import { installQuietRuntime } from './quiet-runtime';
import type { FromChild, ToChild, WorkerProcessSettings } from './worker-process';
import type { TrivialActivities } from './workflows/trivial';

export const SDK_VERSION: string = require('@temporalio/client/package.json').version;

/** Which Temporal startStack runs: FIREBREAK_BENCH_TEMPORAL=dev (the default) or server (`make temporal-server`). */
export const benchTemporal = () => temporalKind(process.env.FIREBREAK_BENCH_TEMPORAL, 'FIREBREAK_BENCH_TEMPORAL');

/**
 * The raw path's client connection: the SDK's grpc-js `Connection` by default, as its documentation
 * shows a client; FIREBREAK_BENCH_RAW_CONNECTION=native puts it on the core's `NativeConnection`, as
 * the API's (LazyNativeConnection), to compare the two paths on the same kind of connection.
 */
export function benchRawConnection(env: NodeJS.ProcessEnv = process.env): 'grpc-js' | 'native' {
  const kind = env.FIREBREAK_BENCH_RAW_CONNECTION ?? 'grpc-js';
  if (kind !== 'grpc-js' && kind !== 'native') throw new Error(`FIREBREAK_BENCH_RAW_CONNECTION must be grpc-js or native, not ${JSON.stringify(kind)}`);
  return kind;
}

/** The header every result carries: the machine, the versions, the Temporal server that produced it and the raw client's connection. */
export const machine = () =>
  `${os.cpus().length} cores, Node ${process.version}, @temporalio ${SDK_VERSION}, ${os.platform()}, ${TEMPORAL_LABELS[benchTemporal()]}, raw client on ${benchRawConnection() === 'native' ? 'NativeConnection' : 'grpc-js Connection'}`;

/** Positional numeric arguments, each falling back to its default. */
export function numericArgs(...defaults: number[]): number[] {
  const given = process.argv.slice(2);
  return defaults.map((d, i) => (given[i] === undefined || given[i] === '' ? d : Number(given[i])));
}

export interface Timed {
  seconds: number;
  /** Milliseconds, sorted ascending. */
  latencies: number[];
}

/** Runs `task` for 0..n-1 with at most `limit` in flight; wall time and each call's latency. */
export async function timed(n: number, limit: number, task: (i: number) => Promise<void>): Promise<Timed> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(limit, n) }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

const profiling = process.execArgv.some((a) => a.startsWith('--cpu-prof'));

/**
 * Runs one measured phase. Under `--cpu-prof` it prints the phase's window on the monotonic clock
 * the profiles use (`cpu-window <name> <start µs>:<end µs>` on stderr), so that
 * bench/profile-summary.ts can keep the samples of that phase alone, in every thread and process.
 */
export async function phase<T>(name: string, measure: () => Promise<T>): Promise<T> {
  const start = process.hrtime.bigint() / 1000n;
  try {
    return await measure();
  } finally {
    if (profiling) console.error(`cpu-window ${name} ${start}:${process.hrtime.bigint() / 1000n}`);
  }
}

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** The middle value (the mean of the two middle ones for an even count). */
export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export function table(head: string[], rows: Array<Array<string | number>>): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export const ratio = (firebreak: number, raw: number) => (firebreak / raw).toFixed(2);

export async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it holds; fails with `what` and the last value seen after `timeoutMs`. */
export async function waitUntil(what: string, check: () => Promise<boolean | string>, timeoutMs: number, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: boolean | string = false;
  while (Date.now() < deadline) {
    last = await check();
    if (last === true) return;
    await sleep(intervalMs);
  }
  throw new Error(`${what} not reached after ${timeoutMs} ms${typeof last === 'string' ? `: ${last}` : ''}`);
}

/** The alert body intake takes, for alert `i` of a run. */
const alertBody = (run: string, i: number, dedupKey: string) => ({ source: 'bench', sourceRef: `${run}${i}`, title: 'Bench alert', severity: 'low', dedupKey });

/** The summary intake signals for an alert, for the raw loops to send the same payload. */
export const alertSummary = (run: string, i: number): AlertSummary => ({
  alertId: `${run}${i}`,
  source: 'bench',
  sourceRef: `${run}${i}`,
  title: 'Bench alert',
  severity: 'low',
  receivedAt: new Date().toISOString(),
  assets: [],
});

export interface IntakeAnswer {
  incidentId: string;
  alertId: string;
  deduplicated: boolean;
}

/** `POST /v1/alerts` with alert `i` of `run` under `dedupKey`; fails unless answered 202. */
export async function sendAlert(apiUrl: string, key: string, run: string, i: number, dedupKey: string): Promise<IntakeAnswer> {
  const res = await post(`${apiUrl}/v1/alerts`, key, alertBody(run, i, dedupKey));
  if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

/** The raw path: `signalWithStart` of incident workflow `raw-<id>` with alert `i` of `run`; no API, no PostgreSQL. */
export async function rawSignalWithStart(client: Client, taskQueue: string, id: string, run: string, i: number): Promise<void> {
  await signalWithStartRaw(client, taskQueue, id, alertSummary(run, i));
}

/** `signalWithStart` of incident workflow `raw-<id>` with `summary`, as the raw path sends every alert. */
export async function signalWithStartRaw(client: Client, taskQueue: string, id: string, summary: AlertSummary): Promise<void> {
  await client.workflow.signalWithStart('incidentWorkflow', {
    workflowId: `raw-${id}`,
    taskQueue,
    args: [{ incidentId: `raw-${id}`, dedupKey: `raw-${id}`, title: 'Bench alert', source: 'bench', severity: 'low', policy: DEFAULT_POLICY }],
    signal: alertSignal,
    signalArgs: [summary],
  });
}

/** How many alerts the incident workflows `workflowIds` have counted, together (their state query). */
export async function alertsCounted(client: Client, workflowIds: readonly string[]): Promise<number> {
  const counts = await Promise.all(workflowIds.map(async (id) => (await client.workflow.getHandle(id).query(stateQuery)).alertCount));
  return counts.reduce((a, b) => a + b, 0);
}

/** Waits until the incident workflows `workflowIds` have counted `n` alerts together. */
export async function waitForAlertsCounted(what: string, client: Client, workflowIds: () => readonly string[], n: number, timeoutMs: number): Promise<void> {
  await waitUntil(
    what,
    async () => {
      const counted = await alertsCounted(client, workflowIds());
      return counted >= n || `${counted} of ${n}`;
    },
    timeoutMs,
    500,
  );
}

/** Waits until the read model holds `n` incidents whose dedup key starts with `prefix`. */
export async function waitForIncidents(pool: Pool, prefix: string, n: number, timeoutMs = 1_800_000): Promise<void> {
  await waitUntil(
    `${n} incidents in the read model`,
    async () => {
      const { rows } = await pool.query('SELECT count(*)::int AS n FROM incidents WHERE starts_with(dedup_key, $1)', [prefix]);
      return rows[0].n === n || `${rows[0].n} of ${n}`;
    },
    timeoutMs,
    500,
  );
}

export const trivialWorkflowsPath = () => require.resolve('./workflows/trivial');

const quietBundler = { trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error, log: () => undefined };

/** Bundles workflow code to a file once, so worker processes start without webpack; the incident workflows as production bundles them. */
export async function bundleToFile(workflowsPath: string, file: string, trusting: DecisionKeyring = benchDecisionKeys().keyring): Promise<string> {
  const hook = trustingDecisionKeys(trusting);
  const options = workflowsPath === incidentWorkflowsPath() ? incidentBundleOptions(workflowsPath, hook) : { workflowsPath, webpackConfigHook: hook };
  const { code } = await bundleWorkflowCode({ ...options, logger: quietBundler });
  writeFileSync(file, code);
  return file;
}

export interface WorkerLoad {
  cachedWorkflows: number;
  /** Workflow activations and activities in progress. */
  busy: number;
  rss: number;
  heapUsed: number;
}

/** A worker process (bench/worker-process.ts) that can be asked for its load, stopped, or killed. */
export class WorkerProcess {
  private constructor(
    private readonly child: ChildProcess,
    /** Milliseconds from fork until its workers were polling. */
    readonly startMs: number,
  ) {}

  static async start(settings: WorkerProcessSettings): Promise<WorkerProcess> {
    const started = performance.now();
    // The core's metrics address is the parent's: a second runtime could not bind it.
    const { FIREBREAK_BENCH_CORE_METRICS: _parentsOnly, ...env } = process.env;
    const child = fork(require.resolve('./worker-process'), [JSON.stringify(settings)], {
      env,
      execArgv: [...process.execArgv, '--expose-gc'],
      // Its output goes to stderr: stdout carries the results alone.
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    const first = await new Promise<FromChild>((resolve, reject) => {
      child.once('message', (m: FromChild) => resolve(m));
      child.once('exit', (code) => reject(new Error(`worker process exited with code ${code} before it was ready`)));
    });
    if (first.type !== 'ready') {
      child.kill('SIGKILL');
      throw new Error(`worker process: ${first.type === 'failed' ? first.message : first.type}`);
    }
    return new WorkerProcess(child, performance.now() - started);
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends one request and waits for the child's answer of the type asked for. */
  private async ask<T extends FromChild['type']>(message: ToChild, answerType: T): Promise<Extract<FromChild, { type: T }>> {
    const answer = new Promise<FromChild>((resolve) => this.child.once('message', resolve));
    this.child.send(message);
    const m = await answer;
    if (m.type !== answerType) throw new Error(`worker process answered ${m.type === 'failed' ? m.message : m.type}`);
    return m as Extract<FromChild, { type: T }>;
  }

  async load(): Promise<WorkerLoad> {
    return this.ask({ type: 'status' }, 'status');
  }

  /** Heap snapshots of the process's workflow threads, written to `<prefix>-thread<n>.heapsnapshot` (bench/heap-summary.ts reads them). */
  async heapSnapshots(prefix: string): Promise<string[]> {
    return (await this.ask({ type: 'heap-snapshots', prefix }, 'heap-snapshots')).files;
  }

  /** SIGKILL: no drain, no goodbye to the server; what a crash or an OOM kill looks like. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGKILL');
    await exited;
  }

  /** SIGTERM, as a deploy stops a worker: it drains and tells the server its sticky queue is gone. Killed if not ended within 30 s. */
  async terminate(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }

  /** SIGKILL without waiting, for a process that is exiting. */
  killNow(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  /** Graceful shutdown; killed if it has not ended within 30 s. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = once(this.child, 'exit');
    this.child.send({ type: 'stop' } satisfies ToChild);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

export interface StackOptions {
  /** Where the incident worker runs: in this process (default), in a child process, or nowhere yet. */
  worker?: 'in-process' | 'child';
  /** Also run the trivial workflow, on its own task queue, beside the incident worker. */
  trivial?: boolean;
  maxCachedWorkflows?: number;
  /** Where the API logs; silent by default. */
  apiLogger?: Logger;
}

export interface BenchStack {
  /** The raw path's client (benchRawConnection says on which connection). */
  client: Client;
  /** Where the stack's Temporal listens. */
  temporalAddress: string;
  pool: Pool;
  api: RunningApi;
  taskQueue: string;
  trivialQueue: string;
  /** An API key of the role, named `bench-<role>`. */
  key(role: Role): Promise<string>;
  /** The worker process, when the stack runs its worker in one. */
  workerProcess?: WorkerProcess;
  /** Starts a new worker process (the previous one must be gone); it becomes `workerProcess`. */
  startWorkerProcess(): Promise<WorkerProcess>;
  /** The workers' load, whichever process they run in. */
  workerLoad(): Promise<WorkerLoad>;
  /** Waits until no workflow task or activity has been in progress for a second. */
  waitIdle(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a private stack on free ports in a temporary folder: a Temporal dev server (fast SQLite),
 * embedded PostgreSQL migrated to the latest schema, the incident worker (and the trivial worker)
 * on their own task queues, and the API. `stop` stops everything that was started, in reverse.
 */
export async function startStack(options: StackOptions = {}): Promise<BenchStack> {
  installQuietRuntime();
  const stops: Array<() => Promise<void> | void> = [];
  // One stop, however many ask for it (Ctrl-C and the benchmark's own finally, say).
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of stops.splice(0).reverse()) await s();
    })());
  // Ctrl-C: once started, stop everything and exit; while starting, at the next step (below).
  let starting = true;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    if (!starting) void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  stops.push(() => void process.off('SIGINT', onSignal));
  const started = (s: () => Promise<void> | void) => {
    stops.push(s);
    if (interrupted) throw new Error('interrupted');
  };
  // embedded-postgres stops its server and exits on SIGINT by itself, possibly before `stop` is
  // through: whatever exits the process, the other children die with it and the folder goes.
  let work: string | undefined;
  let temporalProcess: ChildProcess | undefined;
  let workerProcess: WorkerProcess | undefined;
  const onExit = () => {
    temporalProcess?.kill('SIGKILL');
    workerProcess?.killNow();
    if (work) rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  stops.push(() => void process.off('exit', onExit));
  try {
    work = mkdtempSync(path.join(os.tmpdir(), 'firebreak-bench-'));
    chmodSync(work, 0o755);
    const folder = work;
    started(() => rmSync(folder, { recursive: true, force: true }));
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false });
    started(() => postgres.stop());
    // The Temporal server itself keeps its two databases on the same PostgreSQL, and stops before it.
    const temporal =
      benchTemporal() === 'server'
        ? await startTemporalServer({ postgres: postgres.urlFor('postgres'), port: await freeServerPort(), workDir: path.join(work, 'temporal') })
        : await startDevServer({ cliPath: temporalCliPath(), port: await freePort(), dbFile: path.join(work, 't.sqlite'), fastSqlite: true });
    temporalProcess = temporal.process;
    started(() => temporal.stop());
    await postgres.createDatabase('bench');
    const databaseUrl = postgres.urlFor('bench');
    await migrateUp(databaseUrl);
    const pool = createPool(databaseUrl);
    started(() => pool.end());
    const taskQueue = 'bench-incidents';
    const trivialQueue = 'bench-trivial';

    const inProcess: Worker[] = [];
    let bundles: { incident: string; trivial: string } | undefined;
    const startWorkerProcess = async () => {
      if (workerProcess?.alive) throw new Error('a worker process is running already');
      bundles ??= {
        incident: await bundleToFile(incidentWorkflowsPath(), path.join(folder, 'incident-bundle.js')),
        trivial: await bundleToFile(trivialWorkflowsPath(), path.join(folder, 'trivial-bundle.js')),
      };
      workerProcess = await WorkerProcess.start({
        temporalAddress: temporal.address,
        databaseUrl,
        taskQueue,
        incidentBundle: bundles.incident,
        ...(options.trivial ? { trivialQueue, trivialBundle: bundles.trivial } : {}),
        maxCachedWorkflows: options.maxCachedWorkflows,
      });
      return workerProcess;
    };
    started(() => workerProcess?.stop());

    if (options.worker === 'child') {
      await startWorkerProcess();
    } else {
      const nativeConnection = await NativeConnection.connect({ address: temporal.address });
      started(() => nativeConnection.close());
      inProcess.push(await createIncidentWorker({ connection: nativeConnection, namespace: 'default', pool, taskQueue, maxCachedWorkflows: options.maxCachedWorkflows, trustedDecisionKeys: benchDecisionKeys().keyring }));
      if (options.trivial) {
        const activities: TrivialActivities = { touch: async () => undefined };
        inProcess.push(await Worker.create({ connection: nativeConnection, namespace: 'default', taskQueue: trivialQueue, workflowsPath: trivialWorkflowsPath(), activities }));
      }
      const running = inProcess.map((w) => w.run());
      started(async () => {
        for (const w of inProcess) w.shutdown();
        await Promise.all(running);
      });
    }

    // The per-key limiter still runs on every request, but a benchmark's one manager key sending
    // 1,000 decisions a minute is the load being measured, not abuse.
    const rateLimits = Object.fromEntries(ROLES.map((role) => [role, 1_000_000_000])) as RateLimits;
    const api = await startApi({ pool, temporalAddress: temporal.address, temporalNamespace: 'default', host: '127.0.0.1', port: 0, logger: options.apiLogger ?? pino({ level: 'silent' }), taskQueue, rateLimits });
    started(() => api.close());
    // Signs decisions as the API does: the raw executeUpdate of M3 is a decision like any other.
    const rawConnection = benchRawConnection() === 'native' ? await NativeConnection.connect({ address: temporal.address }) : await Connection.connect({ address: temporal.address });
    const client = new Client({ connection: rawConnection, interceptors: { workflow: [decisionSigningInterceptor(benchDecisionKeys().signer)] } });
    started(() => client.connection.close());

    const workerLoad = async (): Promise<WorkerLoad> => {
      if (workerProcess) return workerProcess.load();
      const statuses = inProcess.map((w) => w.getStatus());
      const { rss, heapUsed } = process.memoryUsage();
      return {
        rss,
        heapUsed,
        cachedWorkflows: statuses.reduce((n, s) => n + s.numCachedWorkflows, 0),
        busy: statuses.reduce((n, s) => n + s.numInFlightWorkflowActivations + s.numInFlightActivities, 0),
      };
    };
    const keyStore = new ApiKeyStore(pool);
    return {
      client,
      temporalAddress: temporal.address,
      pool,
      api,
      taskQueue,
      trivialQueue,
      key: async (role) => (await keyStore.create(`bench-${role}`, role)).token,
      get workerProcess() {
        return workerProcess;
      },
      startWorkerProcess,
      workerLoad,
      async waitIdle(timeoutMs = 600_000) {
        let quiet = 0;
        await waitUntil(
          'workers idle',
          async () => {
            const { busy } = await workerLoad();
            quiet = busy === 0 ? quiet + 1 : 0;
            return quiet >= 5 || `${busy} in progress`;
          },
          timeoutMs,
          200,
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    if (interrupted) process.exit(130);
    throw err;
  } finally {
    starting = false;
  }
}

/** The benchmarks' one HTTP client (bench/http-client.ts). */
export { post };

/** Runs `main`, printing its failure and exiting non-zero. */
export function run(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}

/** Runs `task`, failing with `what` if it has not settled within `timeoutMs`. */
export async function withTimeout<T>(what: string, timeoutMs: number, task: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), timeoutMs);
  });
  try {
    const first = await Promise.race([task, expired]);
    if (first !== 'expired') return first as T;
    throw new Error(`${what} not done after ${timeoutMs} ms`);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until `load` has shown no workflow task or activity in progress for a second (`BenchStack.waitIdle` for any worker process). */
export async function waitLoadIdle(what: string, load: () => Promise<WorkerLoad>, timeoutMs = 600_000): Promise<void> {
  let quiet = 0;
  await waitUntil(
    `${what} idle`,
    async () => {
      const { busy } = await load();
      quiet = busy === 0 ? quiet + 1 : 0;
      return quiet >= 5 || `${busy} in progress`;
    },
    timeoutMs,
    200,
  );
}

export interface MemoryPerWorkflow {
  /** Workflows the cache grew by. */
  cached: number;
  /** Growth of the worker process's RSS and main heap, in KiB per workflow the cache grew by. */
  rssKiB: number;
  heapKiB: number;
}

/** What each workflow added to a worker process's cache cost it, between two loads read after a GC (M4's measure). */
export function memoryPerCachedWorkflow(before: WorkerLoad, after: WorkerLoad): MemoryPerWorkflow {
  const cached = after.cachedWorkflows - before.cachedWorkflows;
  return { cached, rssKiB: (after.rss - before.rss) / cached / 1024, heapKiB: (after.heapUsed - before.heapUsed) / cached / 1024 };
}

/**
 * A worker process of its own for a benchmark's raw baseline: the workflows of `baselineBundle`
 * (bundled with `bundleToFile`) run on `queue` with the trivial activities, on the stack's Temporal
 * server, so their memory is read apart from the incident worker's. Its own incident worker polls a
 * queue nobody sends to; the event relay it starts there is stopped before this answers.
 */
export async function startBaselineWorkerProcess(stack: BenchStack, options: { incidentBundle: string; baselineBundle: string; queue: string; maxCachedWorkflows?: number }): Promise<WorkerProcess> {
  const idleQueue = `${options.queue}-no-incidents`;
  const worker = await WorkerProcess.start({
    temporalAddress: stack.temporalAddress,
    databaseUrl: String(stack.pool.options.connectionString),
    taskQueue: idleQueue,
    incidentBundle: options.incidentBundle,
    trivialQueue: options.queue,
    trivialBundle: options.baselineBundle,
    maxCachedWorkflows: options.maxCachedWorkflows,
  });
  try {
    // The idle incident worker started a relay of its own, which would keep this process busy.
    await stopEventRelay(stack.client, idleQueue, () => worker.load());
  } catch (err) {
    await worker.kill();
    throw err;
  }
  return worker;
}

/**
 * Terminates the lifecycle event relay a worker started on `taskQueue` and waits until that worker
 * is idle. The relay runs an activity for ever, so a worker serving one never shows an idle moment
 * (`waitIdle` and `waitLoadIdle` would wait out their time-outs); without an event sink it only
 * marks the outbox's events skipped. The activity ends at its next heartbeat or at the end of its
 * one-minute run.
 */
export async function stopEventRelay(client: Client, taskQueue: string, load: () => Promise<WorkerLoad>, timeoutMs = 180_000): Promise<void> {
  await client.workflow.getHandle(eventRelayWorkflowId(taskQueue)).terminate('the benchmark measures idle workers');
  await waitLoadIdle(`the worker of ${taskQueue} after its event relay stopped`, load, timeoutMs);
}

/** An API replica in a process of its own: `node dist/src/api/server.js`, configured as production is, from the environment. */
export interface ApiProcess {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `dist/src/api/server.js` against the stack's Temporal server, database and task queue, on
 * a free port, and waits until its /readyz answers 200. Its rate limits are the defaults
 * (src/api/rate-limit.ts), counted in the shared database like any replica's. `env` adds to or
 * overrides the environment it inherits (the decision signing key among it).
 */
export async function startApiProcess(stack: BenchStack, env: NodeJS.ProcessEnv = {}): Promise<ApiProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = fork(require.resolve('../src/api/server'), [], {
    execArgv: process.execArgv,
    env: {
      ...process.env,
      DATABASE_URL: String(stack.pool.options.connectionString),
      TEMPORAL_ADDRESS: (stack.client.connection as Connection).options.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: stack.taskQueue,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'error',
      ...env,
    },
    // Its log goes to stderr: stdout carries the results alone.
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const killNow = () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  process.on('exit', killNow);
  const stop = async () => {
    process.off('exit', killNow);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntil(
      `the API process on port ${port} ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`the API process exited with code ${child.exitCode}`);
        const res = await fetch(`${url}/readyz`).catch(() => undefined);
        return res?.status === 200 || `readyz ${res?.status ?? 'unreachable'}`;
      },
      60_000,
      200,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid!, stop };
}

export { coresByRole, machineBusySeconds, processTreeCpu, type ProcessCpu, type ProcessRole } from './process-cpu';

/**
 * Runs `measure`, and says how many cores each role of the process tree used meanwhile (and the CPU
 * seconds that makes), and how many the whole machine was busy (other processes than the
 * benchmark's included).
 */
export async function withCpu<T>(measure: () => Promise<T>): Promise<{ result: T; seconds: number; cores: Record<ProcessRole, number>; cpuSeconds: Record<ProcessRole, number>; machineCores: number; perProcess: Array<{ pid: number; role: ProcessRole; cores: number }> }> {
  const before = processTreeCpu();
  const busyBefore = machineBusySeconds();
  const started = performance.now();
  const result = await measure();
  const seconds = (performance.now() - started) / 1000;
  const after = processTreeCpu();
  const machineCores = (machineBusySeconds() - busyBefore) / seconds;
  const was = new Map(before.map((p) => [p.pid, p.seconds]));
  const perProcess = after.map((p) => ({ pid: p.pid, role: p.role, cores: (p.seconds - (was.get(p.pid) ?? 0)) / seconds }));
  return { result, seconds, cores: coresByRole(before, after, seconds), cpuSeconds: coresByRole(before, after, 1), machineCores, perProcess };
}

/** The roles' cores as one line: `API 0.62, worker 0.41, …, total 1.93 of 2`. */
export function coresLine(cores: Record<ProcessRole, number>): string {
  const parts = (Object.entries(cores) as Array<[ProcessRole, number]>).filter(([role, c]) => role !== 'other' || c >= 0.01).map(([role, c]) => `${role} ${c.toFixed(2)}`);
  const total = Object.values(cores).reduce((a, b) => a + b, 0);
  return `${parts.join(', ')}; total ${total.toFixed(2)} of ${os.cpus().length} cores`;
}

/** A histogram per series (its name and labels), as the core serves it: cumulative buckets, sum and count. */
export type Histograms = Map<string, { buckets: Map<number, number>; sum: number; count: number }>;

/**
 * The histograms of a Prometheus text page whose name `keep` accepts, by series (the name and its
 * labels but `le` and those in `ignored`).
 */
export function parseHistograms(text: string, keep: (name: string) => boolean, ignored: readonly string[] = []): Histograms {
  const histograms: Histograms = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\w+?)_(bucket|sum|count)\{(.*)\} (\S+)$/.exec(line);
    if (!m || !keep(m[1]!)) continue;
    const [, name, part, labelText, value] = m as unknown as [string, string, string, string, string];
    const labels = [...labelText.matchAll(/(\w+)="([^"]*)"/g)];
    const series = `${name}{${labels
      .filter(([, k]) => k !== 'le' && !ignored.includes(k!))
      .map(([, k, v]) => `${k}=${v}`)
      .join(',')}}`;
    const h = histograms.get(series) ?? { buckets: new Map(), sum: 0, count: 0 };
    histograms.set(series, h);
    if (part === 'bucket') {
      const le = labels.find(([, k]) => k === 'le')?.[2];
      if (le !== undefined) h.buckets.set(le === '+Inf' ? Infinity : Number(le), Number(value));
    } else h[part as 'sum' | 'count'] = Number(value);
  }
  return histograms;
}

/**
 * The core's latency histograms from its Prometheus page (installQuietRuntime serves it when
 * FIREBREAK_BENCH_CORE_METRICS names a host:port), by series; undefined when it is not served.
 * Labels that name the process rather than the work (namespace, service name) are left out.
 */
export async function coreLatencies(): Promise<Histograms | undefined> {
  const at = process.env.FIREBREAK_BENCH_CORE_METRICS;
  if (!at) return undefined;
  return parseHistograms(await (await fetch(`http://${at}/metrics`)).text(), (name) => name.endsWith('latency'), ['namespace', 'service_name']);
}

/**
 * What the core measured between two reads of `coreLatencies`: per series that saw any, its count,
 * mean and the bucket bounds its p50 and p99 fall under (milliseconds), most time first.
 */
export function coreLatencyTable(before: Histograms, after: Histograms): string {
  const rows: Array<[string, number, number, string, string]> = [];
  for (const [series, h] of after) {
    const b = before.get(series);
    const count = h.count - (b?.count ?? 0);
    if (count <= 0) continue;
    const bounds = [...h.buckets.keys()].sort((x, y) => x - y);
    const upTo = (q: number) => {
      const bound = bounds.find((le) => h.buckets.get(le)! - (b?.buckets.get(le) ?? 0) >= q * count);
      return bound === undefined || bound === Infinity ? '> max' : `≤ ${bound}`;
    };
    rows.push([series, count, (h.sum - (b?.sum ?? 0)) / count, upTo(0.5), upTo(0.99)]);
  }
  rows.sort((x, y) => y[1] * y[2] - x[1] * x[2]);
  return table(['series', 'count', 'mean ms', 'p50 ms', 'p99 ms'], rows.map(([s, c, mean, p50, p99]) => [s, c, mean.toFixed(1), p50, p99]));
}
