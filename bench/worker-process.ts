/**
 * A worker in a process of its own, started by the benchmarks (bench/harness.ts) so that it can
 * be killed outright and its memory read apart from the load generator's. Not a command of its
 * own: the parent passes its settings as one JSON argument and talks to it over IPC.
 */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import workerThreads from 'node:worker_threads';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createPool } from '../src/db/pool';
import { createIncidentWorker } from '../src/worker/incident-worker';
import { installQuietRuntime } from './quiet-runtime';
import type { TrivialActivities } from './workflows/trivial';

export interface WorkerProcessSettings {
  temporalAddress: string;
  databaseUrl: string;
  taskQueue: string;
  /** Prebuilt bundle of the incident workflows, so a restart does not wait for webpack. */
  incidentBundle: string;
  /** When set, a second worker runs the trivial workflow on this queue. */
  trivialQueue?: string;
  trivialBundle?: string;
  maxCachedWorkflows?: number;
}

/** What the parent asks for and what the child answers. */
export type ToChild = { type: 'status' } | { type: 'stop' } | { type: 'heap-snapshots'; prefix: string };
export type FromChild =
  | { type: 'ready' }
  | { type: 'status'; rss: number; heapUsed: number; cachedWorkflows: number; busy: number }
  | { type: 'heap-snapshots'; files: string[] }
  | { type: 'failed'; message: string };

const trivialActivities: TrivialActivities = { touch: async () => undefined };

/**
 * The SDK runs workflows in threads of its own (`node:worker_threads`), whose heaps neither
 * `process.memoryUsage().heapUsed` nor a main-thread heap snapshot sees. Every thread it starts
 * is remembered here, so a benchmark can ask for their heap snapshots (`heap-snapshots`).
 */
const workflowThreads: workerThreads.Worker[] = [];
function rememberWorkflowThreads(): void {
  const Thread = workerThreads.Worker;
  (workerThreads as { Worker: typeof Thread }).Worker = class extends Thread {
    constructor(...args: ConstructorParameters<typeof Thread>) {
      super(...args);
      workflowThreads.push(this);
    }
  };
}

/** Writes a heap snapshot of every workflow thread to `<prefix>-thread<n>.heapsnapshot`, one at a time. */
async function snapshotWorkflowThreads(prefix: string): Promise<string[]> {
  const files: string[] = [];
  for (const [n, thread] of workflowThreads.entries()) {
    const file = `${prefix}-thread${n}.heapsnapshot`;
    await pipeline(await thread.getHeapSnapshot(), createWriteStream(file));
    files.push(file);
  }
  return files;
}

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerProcessSettings;
  const send = (message: FromChild) => process.send?.(message);
  installQuietRuntime();
  rememberWorkflowThreads();
  const pool = createPool(settings.databaseUrl);
  const connection = await NativeConnection.connect({ address: settings.temporalAddress });
  const workers: Worker[] = [
    await createIncidentWorker({
      connection,
      namespace: 'default',
      pool,
      taskQueue: settings.taskQueue,
      workflowBundle: { codePath: settings.incidentBundle },
      maxCachedWorkflows: settings.maxCachedWorkflows,
    }),
  ];
  if (settings.trivialQueue && settings.trivialBundle) {
    workers.push(
      await Worker.create({
        connection,
        namespace: 'default',
        taskQueue: settings.trivialQueue,
        workflowBundle: { codePath: settings.trivialBundle },
        activities: trivialActivities,
        maxCachedWorkflows: settings.maxCachedWorkflows,
      }),
    );
  }
  const running = Promise.all(workers.map((w) => w.run()));
  process.on('message', (message: ToChild) => {
    if (message.type === 'status') {
      // Collect what is garbage first, so the number is what the cache holds.
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      gc?.();
      const statuses = workers.map((w) => w.getStatus());
      const { rss, heapUsed } = process.memoryUsage();
      send({
        type: 'status',
        rss,
        heapUsed,
        cachedWorkflows: statuses.reduce((n, s) => n + s.numCachedWorkflows, 0),
        busy: statuses.reduce((n, s) => n + s.numInFlightWorkflowActivations + s.numInFlightActivities, 0),
      });
    } else if (message.type === 'heap-snapshots') {
      snapshotWorkflowThreads(message.prefix).then(
        (files) => send({ type: 'heap-snapshots', files }),
        (err: unknown) => send({ type: 'failed', message: err instanceof Error ? err.message : String(err) }),
      );
    } else if (message.type === 'stop') {
      for (const w of workers) w.shutdown();
    }
  });
  send({ type: 'ready' });
  await running;
  await connection.close();
  await pool.end();
  process.disconnect?.();
}

main().catch((err: unknown) => {
  process.send?.({ type: 'failed', message: err instanceof Error ? err.message : String(err) } satisfies FromChild);
  process.exit(1);
});
