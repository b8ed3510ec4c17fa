import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities } from '../activities';
import { DryRunNotifier } from '../adapters/dry-run-notifier';
import type { Notifier } from '../adapters/notifier';
import { IncidentRepository } from '../db/incident-repository';
import { TASK_QUEUE } from '../temporal/contract';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
  taskQueue?: string;
  notifier?: Notifier;
  /** A prebuilt workflow bundle; by default the workflows are bundled from source at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function incidentWorkflowsPath(): string {
  return require.resolve('../workflows');
}

/** A worker that runs incident workflows and their activities. */
export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  const activities = createActivities({
    incidents: new IncidentRepository(options.pool),
    notifier: options.notifier ?? new DryRunNotifier(options.pool),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: incidentWorkflowsPath() }),
  });
}
