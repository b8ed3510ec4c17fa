import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { Client } from '@temporalio/client';
import { createActivities, createReportActivities, type ActivityDependencies } from '../activities';
import { createAuditActivities } from '../activities/audit';
import { HistorySource } from '../audit/history-source';
import { adaptersFromEnvironment } from '../adapters/from-environment';
import type { Adapters } from '../adapters/ports';
import { AuditLog } from '../db/audit-log';
import { EvidenceRegister, PatchRegister } from '../db/evidence-register';
import { IncidentRepository } from '../db/incident-repository';
import { ReportRepository } from '../db/report-repository';
import { Roster } from '../db/roster';
import { TASK_QUEUE } from '../temporal/contract';

export interface IncidentWorkerOptions {
  connection: NativeConnection;
  /** For the audit activities, which read histories; by default a client on the worker's connection. */
  client?: Client;
  namespace: string;
  pool: Pool;
  taskQueue?: string;
  /** Outside systems; by default dry-run, or webhooks where configured. */
  adapters?: Partial<Adapters>;
  patchPoll?: ActivityDependencies['patchPoll'];
  /** A prebuilt workflow bundle; by default the workflows are bundled from source at start. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** How many workflows stay cached between tasks; by default the SDK's, which grows with the heap limit. */
  maxCachedWorkflows?: number;
}

export function incidentWorkflowsPath(): string {
  return require.resolve('../workflows');
}

/** A worker that runs incident workflows and their activities. */
export async function createIncidentWorker(options: IncidentWorkerOptions): Promise<Worker> {
  const adapters = { ...adaptersFromEnvironment(options.pool), ...options.adapters };
  const roster = new Roster(options.pool);
  const reports = new ReportRepository(options.pool);
  const activities = createActivities({
    incidents: new IncidentRepository(options.pool),
    auditLog: new AuditLog(options.pool),
    roster,
    reports,
    evidence: new EvidenceRegister(options.pool),
    patches: new PatchRegister(options.pool),
    adapters,
    patchPoll: options.patchPoll,
  });
  const client = options.client ?? new Client({ connection: options.connection, namespace: options.namespace });
  const audit = createAuditActivities({
    client,
    histories: new HistorySource(client, options.pool),
    workflowsPath: incidentWorkflowsPath(),
  });
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue ?? TASK_QUEUE,
    activities: { ...activities, ...audit, ...createReportActivities({ reports, roster, adapters }) },
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: incidentWorkflowsPath() }),
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
  });
}
