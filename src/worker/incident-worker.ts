import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Pool } from 'pg';
import { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import { dataConverterFor } from '../temporal/payload-codec';
import { createActivities, createReportActivities, type ActivityDependencies } from '../activities';
import { createAuditActivities } from '../activities/audit';
import { createEventRelayActivities } from '../activities/event-relay';
import { createWebhookActionActivities } from '../activities/webhook-action';
import { HistorySource } from '../audit/history-source';
import { adaptersFromEnvironment, playbookWebhookSecrets } from '../adapters/from-environment';
import type { Adapters } from '../adapters/ports';
import { AuditLog } from '../db/audit-log';
import { EvidenceRegister, PatchRegister } from '../db/evidence-register';
import { IncidentRepository } from '../db/incident-repository';
import { ReportRepository } from '../db/report-repository';
import { Roster } from '../db/roster';
import { keyringFromEnvironment, VERIFY_KEYS_ENV } from '../decision-keys';
import type { DecisionKeyring } from '../domain/decision-signature';
import { TASK_QUEUE } from '../temporal/contract';
import { incidentWorkflowCode, type WorkflowCodeLog } from './prebuilt-bundle';
import { createReplayWorker, replayBundleOf, withReplayWorker } from './replay-worker';
import { stickyTimeoutFromEnvironment } from './sticky-timeout';
import type { EventRelayInput } from '../workflows/event-relay-workflow';

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
  /**
   * A workflow bundle (its trusted decision keys built in); by default the one `npm run build` wrote
   * next to the compiled code, with the trusted keys put in, or else the workflows bundled at start
   * (src/worker/prebuilt-bundle.ts).
   */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The decision-signing keys the workflows trust when not given a bundle; by default FIREBREAK_DECISION_VERIFY_KEYS. */
  trustedDecisionKeys?: DecisionKeyring;
  /** Where the worker says which workflow code it loaded (prebuilt or bundled at start); by default the SDK's logger. */
  workflowCodeLog?: WorkflowCodeLog;
  /** How many workflows stay cached between tasks; by default the SDK's, which grows with the heap limit. */
  maxCachedWorkflows?: number;
  /** How long a task waits on this worker's sticky queue before another worker may take it (FIREBREAK_STICKY_TIMEOUT_MS, default 3 s; see sticky-timeout.ts). */
  stickyTimeoutMs?: number;
  /** Replays this process runs at once on the replay queue (FIREBREAK_REPLAY_CONCURRENCY, default 2); 0 serves none. */
  maxConcurrentReplays?: number;
  /** The lifecycle event relay: started (or joined) at worker creation unless `false`. */
  eventRelay?: false | EventRelayInput;
  /** Encrypts payloads this worker writes to Temporal, decrypts those it reads (FIREBREAK_PAYLOAD_KEYS). */
  payloadCodec?: PayloadCodec;
}

/** One relay per deployment, and a deployment is a task queue. */
export function eventRelayWorkflowId(taskQueue: string): string {
  return `firebreak-event-relay-${taskQueue}`;
}

/**
 * Starts the deployment's event relay, or joins the one already running: every worker start may
 * call it, and one relay runs.
 */
export async function ensureEventRelay(client: Client, taskQueue: string, input: EventRelayInput = {}): Promise<string> {
  const workflowId = eventRelayWorkflowId(taskQueue);
  await client.workflow.start('eventRelayWorkflow', { workflowId, taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' });
  return workflowId;
}

/** Without trusted keys every decision would be refused: a worker must not start that way. */
function trustedKeys(options: IncidentWorkerOptions): DecisionKeyring {
  const keyring = options.trustedDecisionKeys ?? keyringFromEnvironment();
  if (!keyring) throw new Error(`${VERIFY_KEYS_ENV} is required: the workflows verify every decision against it (npm run decision-key makes a key pair)`);
  return keyring;
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
  const dataConverter = dataConverterFor(options.payloadCodec);
  const client = options.client ?? new Client({ connection: options.connection, namespace: options.namespace, ...(dataConverter ? { dataConverter } : {}) });
  // One workflow code for the incidents, the replays and the audit activities: the prebuilt bundle, or bundled once now.
  const code = options.workflowBundle ? undefined : await incidentWorkflowCode({ keyring: trustedKeys(options), workflowsPath: incidentWorkflowsPath(), log: options.workflowCodeLog });
  const workflowBundle = options.workflowBundle ?? { code: code!.bundle.code };
  const replayBundle = code ? { code: code.replayBundle.code } : workflowBundle;
  const audit = createAuditActivities({
    client,
    histories: new HistorySource(client, options.pool, undefined, options.payloadCodec),
    workflowsPath: incidentWorkflowsPath(),
    workflowBundle: replayBundleOf(replayBundle),
  });
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  const relay = createEventRelayActivities({ pool: options.pool, eventSink: adapters.eventSink });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue,
    ...(dataConverter ? { dataConverter } : {}),
    activities: {
      ...activities,
      ...audit,
      ...createReportActivities({ reports, roster, adapters }),
      ...relay,
      // Playbooks' webhook steps sign with FIREBREAK_PLAYBOOK_WEBHOOK_SECRET, else the adapters' shared secret.
      ...createWebhookActionActivities({ secrets: playbookWebhookSecrets() }),
    },
    workflowBundle,
    ...(options.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: options.maxCachedWorkflows } : {}),
    stickyQueueScheduleToStartTimeout: options.stickyTimeoutMs ?? stickyTimeoutFromEnvironment(),
  });
  if (options.eventRelay !== false) await ensureEventRelay(client, taskQueue, options.eventRelay);
  if (options.maxConcurrentReplays === 0) return worker;
  const replays = await createReplayWorker({
    connection: options.connection,
    client,
    namespace: options.namespace,
    pool: options.pool,
    taskQueue,
    maxConcurrentReplays: options.maxConcurrentReplays,
    workflowBundle: replayBundle,
    workflowsPath: incidentWorkflowsPath(),
    payloadCodec: options.payloadCodec,
  });
  return withReplayWorker(worker, replays);
}
