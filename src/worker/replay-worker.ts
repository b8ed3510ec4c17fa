import { readFile } from 'node:fs/promises';
import { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { dataConverterFor } from '../temporal/payload-codec';
import { NativeConnection, Worker, type WorkerOptions, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Pool } from 'pg';
import { HistorySource } from '../audit/history-source';
import { createReplayActivities } from '../audit/replay-activity';
import { replayTaskQueueFor } from '../audit/replay-requests';
import { incidentWorkflowCode } from './prebuilt-bundle';
import { wholeNumberSetting } from '../whole-number-setting';

/** How many replays one worker runs at once unless FIREBREAK_REPLAY_CONCURRENCY says otherwise. */
export const DEFAULT_REPLAY_CONCURRENCY = 2;

export function replayConcurrencyFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  return wholeNumberSetting(env, 'FIREBREAK_REPLAY_CONCURRENCY', DEFAULT_REPLAY_CONCURRENCY, { min: 1 });
}

export interface ReplayWorkerOptions {
  connection: NativeConnection;
  client?: Client;
  namespace: string;
  pool: Pool;
  /** The incidents' task queue; this worker polls its replay queue. */
  taskQueue: string;
  /** At most this many replays at once; more wait in the queue. */
  maxConcurrentReplays?: number;
  /** The workflow code replays are checked against (the incident worker's); otherwise the prebuilt bundle, or bundled from `workflowsPath`, on first use. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  workflowsPath: string;
  /** Decrypts the histories before they are replayed (FIREBREAK_PAYLOAD_KEYS). */
  payloadCodec?: PayloadCodec;
}

/**
 * A worker for the replay queue: activities only, each replay a whole history run through the
 * workflow code, so they are capped apart from the incidents' work.
 */
export async function createReplayWorker(options: ReplayWorkerOptions): Promise<Worker> {
  const dataConverter = dataConverterFor(options.payloadCodec);
  const client = options.client ?? new Client({ connection: options.connection, namespace: options.namespace, ...(dataConverter ? { dataConverter } : {}) });
  const workflowBundle = replayBundleOf(options.workflowBundle, options.workflowsPath);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: replayTaskQueueFor(options.taskQueue),
    ...(dataConverter ? { dataConverter } : {}),
    // Histories come decrypted from the source: the replay itself sees plain payloads.
    activities: createReplayActivities({ histories: new HistorySource(client, options.pool, undefined, options.payloadCodec), workflowBundle }),
    maxConcurrentActivityTaskExecutions: options.maxConcurrentReplays ?? replayConcurrencyFromEnvironment(),
  });
}

/**
 * The workflow code to replay against, read once on first use: the bundle given, else the prebuilt
 * one or the workflows at `workflowsPath` bundled (validators do not run at replay, so which keys
 * it trusts does not matter).
 */
export function replayBundleOf(given: WorkerOptions['workflowBundle'], workflowsPath?: string): () => Promise<WorkflowBundleWithSourceMap> {
  let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
  const load = async (): Promise<WorkflowBundleWithSourceMap> => {
    if (given && 'code' in given) return { code: given.code, sourceMap: '' };
    if (given) return { code: await readFile(given.codePath, 'utf8'), sourceMap: '' };
    if (!workflowsPath) throw new Error('replays need a workflow bundle or the workflows path');
    return (await incidentWorkflowCode({ keyring: {}, workflowsPath })).replayBundle;
  };
  return () => (bundle ??= load());
}

/**
 * The incident worker with the replay worker riding along: `run` runs both and `shutdown` stops
 * both, so every place that starts an incident worker (the worker process, the dev stack, tests)
 * serves replays without knowing about them.
 */
export function withReplayWorker(incidents: Worker, replays: Worker): Worker {
  const run = incidents.run.bind(incidents);
  const shutdown = incidents.shutdown.bind(incidents);
  const stopReplays = () => {
    if (replays.getState() === 'RUNNING') replays.shutdown();
  };
  incidents.run = async () => {
    const replaying = replays.run();
    try {
      await run();
    } finally {
      stopReplays();
      await replaying;
    }
  };
  incidents.shutdown = () => {
    stopReplays();
    shutdown();
  };
  return incidents;
}
