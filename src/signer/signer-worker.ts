import { Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import type { CheckpointSigningKey } from '../audit/checkpoints';
import { CheckpointStore } from '../db/checkpoint-store';
import { TASK_QUEUE } from '../temporal/contract';
import { createCheckpointActivities } from './activities';

/** The signer's own task queue: nothing else polls it, and no incident worker holds its key. */
export function checkpointTaskQueue(taskQueue: string = TASK_QUEUE): string {
  return `${taskQueue}-checkpoints`;
}

export function checkpointWorkflowsPath(): string {
  return require.resolve('./checkpoint-workflow');
}

export interface SignerWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** Connected with the signer's own credentials (a login role in `firebreak_signer`). */
  pool: Pool;
  key: CheckpointSigningKey;
  /** The deployment's task queue; the signer polls `<it>-checkpoints`. */
  taskQueue?: string;
  exportDir?: string;
  logger?: Logger;
  workflowBundle?: WorkerOptions['workflowBundle'];
}

/** A worker that signs audit checkpoints, and does nothing else. */
export async function createSignerWorker(options: SignerWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: checkpointTaskQueue(options.taskQueue),
    activities: createCheckpointActivities({ store: new CheckpointStore(options.pool), key: options.key, exportDir: options.exportDir, logger: options.logger }),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: checkpointWorkflowsPath() }),
    maxConcurrentActivityTaskExecutions: 1,
  });
}
