import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { createActivities, type ActivityDependencies } from '../activities';
import { adaptersFromEnvironment } from '../adapters/from-environment';
import type { Adapters } from '../adapters/ports';
import { EvidenceRegister, PatchRegister } from '../db/evidence-register';
import { IncidentRepository } from '../db/incident-repository';
import { TASK_QUEUE } from '../temporal/contract';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  pool: Pool;
  taskQueue?: string;
  /** Outside systems; by default dry-run, or webhooks where configured. */
  adapters?: Partial<Adapters>;
  patchPoll?: ActivityDependencies['patchPoll'];
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
    evidence: new EvidenceRegister(options.pool),
    patches: new PatchRegister(options.pool),
    adapters: { ...adaptersFromEnvironment(options.pool), ...options.adapters },
    patchPoll: options.patchPoll,
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: incidentWorkflowsPath() }),
  });
}
