import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { ActionRequest, AuditActivities, EvidenceRequest, IncidentActivities, Notice, PatchVerificationRequest, ReplayReport } from '../../src/activities/types';
import type { WebhookActionRequest, WebhookActionResult } from '../../src/activities/webhook-action';
import type { AuditEntryInput, ChainHead } from '../../src/domain/audit-chain';
import type { FollowUpState } from '../../src/domain/follow-up';
import type { IncidentState, PatchResult } from '../../src/domain/incident';
import { waitFor } from '../../src/net';
import { temporalTestServerPath } from '../../src/temporal/binaries';
import { followUpWorkflowIdFor } from '../../src/temporal/contract';
import { registerSearchAttributes } from '../../src/temporal/register-search-attributes';
import { stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { incidentWorkflowBundle } from './workflow-bundle';
import { decisionSigningInterceptor, type DecisionSigner } from '../../src/decision-keys';
import { testSigner } from './decision-keys';
import type { DecisionKeyring } from '../../src/domain/decision-signature';

/** The time-skipping test server from the tools folder (the SDK cannot download it here). */
export async function createTimeSkippingEnv(signer: DecisionSigner = testSigner()): Promise<TestWorkflowEnvironment> {
  // The test client signs decisions as the API does, at the server's skipped-to time.
  let created: TestWorkflowEnvironment | undefined;
  const clock = () => (created ? created.currentTimeMs() : Date.now());
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    client: { interceptors: { workflow: [decisionSigningInterceptor(signer.withClock(clock))] } },
  });
  created = env;
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/**
 * Activities that record what the workflow asked of them: the adapter boundary of a workflow
 * test. The scanner's answer is scripted: `patchedAfter` says from which call on it says patched.
 */
export class RecordingActivities implements IncidentActivities, AuditActivities {
  readonly snapshots: IncidentState[] = [];
  readonly audit: AuditEntryInput[] = [];
  readonly notices: Notice[] = [];
  readonly actions: ActionRequest[] = [];
  readonly recoveries: ActionRequest[] = [];
  readonly evidence: EvidenceRequest[] = [];
  readonly patchChecks: PatchVerificationRequest[] = [];
  patchedAfter = 1;
  readonly archived: string[] = [];
  readonly webhooks: WebhookActionRequest[] = [];
  /** The receiver's answers, in order (an Error is thrown as the activity's failure); then 204. */
  readonly webhookAnswers: Array<WebhookActionResult | Error> = [];

  /** Answers a made-up chain head: its seq counts every entry recorded so far. */
  async recordIncident(state: IncidentState, audit: AuditEntryInput[]): Promise<ChainHead> {
    this.snapshots.push(state);
    this.audit.push(...audit);
    return { seq: this.audit.length, hash: `head-${this.audit.length}` };
  }
  readonly followUpSnapshots: FollowUpState[] = [];
  async recordFollowUps(state: FollowUpState, audit: AuditEntryInput[]): Promise<void> {
    this.followUpSnapshots.push(state);
    this.audit.push(...audit);
  }
  async notify(notice: Notice): Promise<void> {
    this.notices.push(notice);
  }
  async contain(request: ActionRequest): Promise<void> {
    this.actions.push(request);
  }
  async recover(request: ActionRequest): Promise<void> {
    this.recoveries.push(request);
  }
  async collectEvidence(request: EvidenceRequest): Promise<{ artifacts: number }> {
    this.evidence.push(request);
    return { artifacts: 2 };
  }
  async verifyPatches(request: PatchVerificationRequest): Promise<PatchResult[]> {
    this.patchChecks.push(request);
    const patched = this.patchChecks.length >= this.patchedAfter;
    return request.assets.map((asset) => ({ asset, patched, checkedAt: new Date().toISOString() }));
  }

  async callWebhook(request: WebhookActionRequest): Promise<WebhookActionResult> {
    this.webhooks.push(request);
    const answer = this.webhookAnswers.shift() ?? { status: 204 };
    if (answer instanceof Error) throw answer;
    return answer;
  }

  async archiveHistory(incidentId: string): Promise<{ runs: number }> {
    this.archived.push(incidentId);
    return { runs: 1 };
  }
  async replayIncident(incidentId: string): Promise<ReplayReport> {
    return { incidentId, source: 'temporal', runs: [] };
  }

  /** The notices of one kind, as `target@level` or the recipient. */
  escalationTargets(): string[] {
    return this.notices.flatMap((n) => (n.kind === 'escalation' ? [n.escalation.target] : []));
  }
}

/**
 * A worker on its own task queue; its workflows trust `keyring`'s decision keys (the test key test-1
 * by default). `cacheless` for a worker that replaces another on a queue: the test server's clock
 * stands still, so a sticky queue left by the one before would never time out.
 */
export async function createTestWorker(
  env: TestWorkflowEnvironment,
  activities: RecordingActivities,
  options: { keyring?: DecisionKeyring; taskQueue?: string; cacheless?: boolean } = {},
): Promise<Worker> {
  const bound = Object.fromEntries(
    (['recordIncident', 'recordFollowUps', 'notify', 'contain', 'recover', 'collectEvidence', 'verifyPatches', 'callWebhook', 'archiveHistory', 'replayIncident'] as const).map((name) => [name, activities[name].bind(activities)]),
  );
  return Worker.create({
    connection: env.nativeConnection,
    taskQueue: options.taskQueue ?? `ts-${randomBytes(6).toString('hex')}`,
    workflowBundle: await incidentWorkflowBundle(options.keyring),
    ...(options.cacheless ? { maxCachedWorkflows: 0 } : {}),
    activities: bound,
  });
}

/**
 * Runs `body` against a fresh incident workflow on its own worker, and terminates the workflow
 * afterwards: a workflow left behind with nobody polling its queue would hold the test server's
 * clock still for every later test.
 */
export async function withIncident(
  env: TestWorkflowEnvironment,
  input: IncidentWorkflowInput,
  body: (handle: WorkflowHandle, activities: RecordingActivities) => Promise<void>,
  activities: RecordingActivities = new RecordingActivities(),
): Promise<void> {
  const worker = await createTestWorker(env, activities);
  await worker.runUntil(async () => {
    const handle = await env.client.workflow.start('incidentWorkflow', {
      workflowId: `incident-${input.incidentId}`,
      taskQueue: worker.options.taskQueue,
      args: [input],
    });
    try {
      await body(handle, activities);
    } finally {
      await untilNoActivityRuns(handle);
      await handle.terminate('test finished').catch(() => undefined);
      // A closed incident leaves its archiving child behind (parent-close policy ABANDON).
      await env.client.workflow.getHandle(`archive-${input.incidentId}`).terminate('test finished').catch(() => undefined);
      // And its follow-ups, which wait for their due dates.
      const followUps = env.client.workflow.getHandle(followUpWorkflowIdFor(input.incidentId));
      await untilNoActivityRuns(followUps);
      await followUps.terminate('test finished').catch(() => undefined);
    }
  });
}

/**
 * Waits (in real time, briefly) until the incident's latest run has no activity in flight. The
 * test server never skips time again once an incident was terminated with an activity running
 * (its completion is refused, and the server keeps waiting for it), which stalls every later test.
 */
async function untilNoActivityRuns(handle: WorkflowHandle): Promise<void> {
  const latest = handle.client.getHandle(handle.workflowId);
  for (let i = 0; i < 50; i++) {
    const described = await latest.describe().catch(() => undefined);
    if (!described || described.status.name !== 'RUNNING' || (described.raw.pendingActivities ?? []).length === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a workflow on a queue no worker polls yet and sends it a decision without waiting for the
 * answer; returns once the server holds the decision. The worker started next then takes it in the
 * run's first workflow task, beside the start; `answered` settles once a worker runs.
 */
export async function startWithDecisionInFirstTask<R, D>(
  env: TestWorkflowEnvironment,
  taskQueue: string,
  start: { workflowType: 'incidentWorkflow' | 'followUpWorkflow'; workflowId: string; args: unknown[] },
  first: { update: UpdateDefinition<R, [D]>; updateId: string; decided: D },
): Promise<{ handle: WorkflowHandle; answered: Promise<R> }> {
  const handle = await env.client.workflow.start(start.workflowType, { workflowId: start.workflowId, taskQueue, args: start.args });
  const answered = handle.executeUpdate(first.update, { updateId: first.updateId, args: [first.decided] });
  const poll = () =>
    env.client.workflowService.pollWorkflowExecutionUpdate({
      namespace: env.client.options.namespace,
      updateRef: { workflowExecution: { workflowId: start.workflowId }, updateId: first.updateId },
      identity: 'test',
      waitPolicy: { lifecycleStage: temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED },
    });
  try {
    // The update's request may still be on its way: NOT_FOUND until the server has it.
    await waitFor(`update ${first.updateId} admitted`, poll, 10_000, 20);
  } catch (err) {
    // A run left with nobody polling its queue would hold the test server's clock still.
    await handle.terminate('the decision never reached the server').catch(() => undefined);
    throw err;
  }
  return { handle, answered };
}

/**
 * Skips time to `offsetMs` after the incident opened (its `openedAt`). Deadlines run from that
 * instant, and a sleep started before the first workflow task ran would count from too early.
 */
export async function sleepUntilSinceOpened(env: TestWorkflowEnvironment, handle: WorkflowHandle, offsetMs: number): Promise<void> {
  const { openedAt } = await handle.query(stateQuery);
  const wait = Date.parse(openedAt) + offsetMs - (await env.currentTimeMs());
  if (wait > 0) await env.sleep(wait);
}
