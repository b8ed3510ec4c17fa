import { temporal } from '@temporalio/proto';
import { tsToMs } from '@temporalio/common/lib/time';
import { seconds } from '../../src/domain/duration';
import { workflowIdFor } from '../../src/temporal/contract';
import { DEFAULT_STICKY_TIMEOUT_MS } from '../../src/worker/sticky-timeout';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import { waitFor } from '../../src/net';
import { uniqueKey } from '../support/stack';
import { ActionReceiver } from './support/action-receiver';
import { startFaultStack, type FaultStack } from './support/fault-stack';
import type { NodeProcess } from './support/node-process';

const SECRET = 'fault-suite-webhook-secret';
/** How soon after a new worker polls an overdue escalation must have gone out (stated in the README). */
const ESCALATION_AFTER_RESTART_BOUND_MS = 30_000;

describe('worker crashes', () => {
  const policy: PolicyTable = JSON.parse(JSON.stringify(DEFAULT_POLICY));
  policy.medium.deadlines.acknowledge = seconds(6);

  let receiver: ActionReceiver;
  let stack: FaultStack;
  let worker: NodeProcess;
  beforeAll(async () => {
    receiver = await new ActionReceiver(SECRET).start();
    stack = await startFaultStack({ policy, workerEnv: { FIREBREAK_CONTAINMENT_WEBHOOK_URL: receiver.url, FIREBREAK_WEBHOOK_SECRET: SECRET } });
    worker = await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  const post = (path: string, key: string, body: unknown) => stack.request('POST', path, { key, body });
  const state = async (id: string) => (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor })).body;
  const untilPhase = (id: string, phase: string, timeoutMs: number) =>
    waitFor(`phase ${phase}`, async () => {
      const s = await state(id);
      if (s.phase !== phase) throw new Error(`still ${s.phase}`);
      return s;
    }, timeoutMs, 250);

  it('SIGKILL mid-containment: a new worker finishes the incident and every action reaches the containment system under one key', async () => {
    const host = { kind: 'host', id: uniqueKey('fs') };
    const account = { kind: 'account', id: uniqueKey('svc') };
    // The first isolation takes effect, but the worker dies before the answer comes back.
    receiver.script((key) => key.startsWith('contain:') && key.includes(':host:'), ['apply-then-hang']);

    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Ransomware on file server', severity: 'critical', dedupKey: uniqueKey('crash'), assets: [host, account] });
    expect(opened.status).toBe(202);
    const id = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {})).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'critical', category: 'ransomware', strategy: 'contain_first', externalAssistance: false })).status).toBe(200);

    const first = await receiver.next((d) => d.action === 'isolate_host');
    await worker.kill('SIGKILL');
    // With no worker to answer the query, the API answers from the read model and says so.
    const meanwhile = await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor });
    expect({ status: meanwhile.status, problem: meanwhile.status === 200 ? undefined : meanwhile.body }).toEqual({ status: 200, problem: undefined });
    expect(meanwhile.headers.get('firebreak-state-source')).toBe('read-model');
    expect(meanwhile.body).toMatchObject({ incidentId: id, phase: 'response' });
    worker = await stack.startWorker();

    // Noticed by the activity's heartbeat timeout (30 s), retried on the new worker.
    const review = await untilPhase(id, 'review', 90_000);
    expect(review.response.completed).toEqual(['containment', 'forensics', 'eradication', 'recovery']);

    // One idempotency key per action: the retry reused the first attempt's key, so the receiver acted once.
    const keys = receiver.keysByAction();
    expect(Object.keys(keys).sort()).toEqual(['disable_account', 'enable_account', 'isolate_host', 'release_host']);
    for (const list of Object.values(keys)) expect(list).toHaveLength(1);
    expect(receiver.deliveriesOf(first.idempotencyKey).map((d) => d.behaviour)).toEqual(['apply-then-hang', 'apply']);
    expect(receiver.applied.filter((k) => k === first.idempotencyKey)).toHaveLength(1);

    // The timeline shows the containment stage completed on its second attempt.
    const timeline = await stack.request('GET', `/v1/incidents/${id}/timeline`, { key: stack.keys.auditor });
    const isolation = timeline.body.items.find((i: any) => i.kind === 'stage' && i.action === 'isolate_host');
    expect(isolation).toMatchObject({ outcome: 'completed', details: { attempts: 2 } });

    expect((await post(`/v1/incidents/${id}/review`, stack.keys.manager, { lessons: 'EDR isolation answered slowly', actionItems: [] })).status).toBe(200);
    const closed = await post(`/v1/incidents/${id}/close`, stack.keys.manager, { resolution: 'resolved', summary: 'contained and restored' });
    expect(closed.status).toBe(200);
    expect(closed.body.phase).toBe('closed');
  });

  it("SIGKILL of the worker holding an incident: the next alert waits on the dead worker's sticky queue for Firebreak's sticky time-out, not the SDK's 10 s, and is counted once", async () => {
    const dedupKey = uniqueKey('sticky');
    const alert = (n: number) => ({ source: 'ids', sourceRef: uniqueKey(`evt${n}`), title: 'Beaconing to a known C2 domain', severity: 'medium', dedupKey });
    const opened = await post('/v1/alerts', stack.keys.integration, alert(1));
    const id = opened.body.incidentId;
    // The acknowledge leaves the incident cached in this worker, its next task bound to the worker's sticky queue.
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {})).status).toBe(200);
    // Killed idle: a task the worker had started would wait out the workflow task time-out instead.
    await waitFor('the incident idle', async () => {
      const { raw } = await stack.temporal.workflow.getHandle(workflowIdFor(id)).describe();
      if (raw.pendingWorkflowTask || raw.pendingActivities?.length) throw new Error('a task or activity pending');
    }, 20_000, 100);

    await worker.kill('SIGKILL');
    // Temporal takes the signal with no worker up; its workflow task goes to the dead worker's queue.
    const second = await post('/v1/alerts', stack.keys.integration, alert(2));
    expect(second.status).toBe(202);
    expect(second.body).toMatchObject({ incidentId: id, deduplicated: true });
    worker = await stack.startWorker();
    const counted = await waitFor('the second alert counted', async () => {
      const s = await state(id);
      if (s.alertCount !== 2) throw new Error(`alertCount ${s.alertCount}`);
      return s;
    }, 60_000, 250);
    expect(counted).toMatchObject({ phase: 'triage', alertCount: 2 });

    // The history shows the wait: a task scheduled on the sticky queue, timed out before it started.
    const events = (await stack.temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory()).events ?? [];
    const byId = new Map(events.map((e) => [Number(e.eventId), e]));
    const timedOut = events.filter((e) => e.workflowTaskTimedOutEventAttributes?.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START);
    expect(timedOut).toHaveLength(1);
    const scheduled = byId.get(Number(timedOut[0]!.workflowTaskTimedOutEventAttributes!.scheduledEventId))!;
    expect(scheduled.workflowTaskScheduledEventAttributes?.taskQueue?.kind).toBe(temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY);
    const waitedMs = tsToMs(timedOut[0]!.eventTime) - tsToMs(scheduled.eventTime);
    expect(waitedMs).toBeGreaterThanOrEqual(DEFAULT_STICKY_TIMEOUT_MS - 100);
    expect(waitedMs).toBeLessThan(DEFAULT_STICKY_TIMEOUT_MS + 3_000);
    console.info(`the task waited ${waitedMs} ms on the dead worker's sticky queue`);
  });

  it('all workers down past an escalation deadline: it fires once soon after a worker starts, and a second restart does not repeat it', async () => {
    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'ids', sourceRef: uniqueKey('evt'), title: 'Port scan from guest Wi-Fi', severity: 'medium', dedupKey: uniqueKey('down') });
    const id = opened.body.incidentId;
    const before = await state(id);
    expect(before).toMatchObject({ phase: 'detected', escalationLevel: 0, nextDeadline: { kind: 'acknowledge' } });
    const dueAt = Date.parse(before.nextDeadline.dueAt);
    const pages = async () =>
      (await stack.pool.query(`SELECT action->>'recipient' AS recipient, recorded_at FROM dry_run_actions WHERE incident_id = $1 AND adapter = 'notifier' ORDER BY recorded_at`, [id])).rows;
    // Kill only once the opening activities (read model, first page) are done: one cut mid-way is
    // retried only after its 30 s timeout, and the deadline's timer starts after them.
    await waitFor('the first page and the read-model row', async () => {
      const { rowCount } = await stack.pool.query('SELECT 1 FROM incidents WHERE incident_id = $1', [id]);
      if (!rowCount || !(await pages()).some((p) => p.recipient === 'on_call')) throw new Error('not yet');
    }, 20_000, 100);

    await worker.kill('SIGKILL');
    // Stay down past the deadline, with a margin. The timer's task first goes to the dead worker's
    // sticky queue; the bound below includes however long the server takes to hand it on.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, dueAt - Date.now()) + 6_000));
    worker = await stack.startWorker();
    const escalatedAt = await waitFor('the overdue escalation', async () => {
      const page = (await pages()).find((p) => p.recipient === 'ir_manager');
      if (!page) throw new Error('not yet');
      return (page.recorded_at as Date).getTime();
    }, 60_000, 200);
    const lateness = escalatedAt - worker.readyAt;
    expect(lateness).toBeLessThan(ESCALATION_AFTER_RESTART_BOUND_MS);
    console.info(`escalation sent ${lateness} ms after the new worker polled (${worker.readyAt - worker.spawnedAt} ms from spawn to polling)`);

    await worker.kill('SIGKILL');
    worker = await stack.startWorker();
    // The new worker replays the history; the acknowledgement proves it has the incident in hand.
    const ack = await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {});
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ phase: 'triage', escalationLevel: 1 });
    expect(ack.body.escalations).toHaveLength(1);
    expect((await pages()).map((p) => p.recipient)).toEqual(['on_call', 'ir_manager']);
  });
});
