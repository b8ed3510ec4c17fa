import { readFileSync } from 'node:fs';
import path from 'node:path';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Asset } from '../../src/domain/asset';
import { hours, minutes, seconds } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import type { PinnedPlaybook } from '../../src/domain/playbook-run';
import { pinPlaybook } from '../support/playbooks';
import type { Principal } from '../../src/domain/principal';
import {
  acknowledgeUpdate,
  addTaskUpdate,
  alertSignal,
  applyPlaybookUpdate,
  approveContainmentUpdate,
  assessUpdate,
  completeTaskUpdate,
  skipTaskUpdate,
  stateQuery,
  type IncidentWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, RecordingActivities, withIncident } from '../support/time-skipping';

const host: Asset = { kind: 'host', id: 'web-01' };
const address: Asset = { kind: 'address', id: '198.51.100.7' };
/** A built-in strategy's playbook as shipped. */
const builtInSource = (file: string): unknown => JSON.parse(readFileSync(path.join(__dirname, '../../src/domain/playbooks', file), 'utf8'));
const omar: Principal = { keyId: 'k-omar', name: 'omar', role: 'manager' };


const task = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  kind: 'task',
  title: `Do ${id}`,
  instructions: `Do **${id}**.`,
  owner: { role: 'responder' },
  due: '4h',
  ...extra,
});

describe('playbook runs (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  let n = 0;
  function input(policy: PolicyTable = DEFAULT_POLICY, extra: Partial<IncidentWorkflowInput> = {}): IncidentWorkflowInput {
    n += 1;
    return { incidentId: `playbook-${n}`, dedupKey: `playbook-${n}`, title: 'Ransomware on web-01', source: 'edr', severity: 'high', policy, ...extra };
  }

  async function waitFor(handle: WorkflowHandle, what: string, reached: (state: IncidentState) => boolean, step = seconds(1)): Promise<IncidentState> {
    for (let i = 0; i < 300; i++) {
      const state = await handle.query(stateQuery);
      if (reached(state)) return state;
      await env.sleep(step);
    }
    throw new Error(`never reached ${what}: ${JSON.stringify((await handle.query(stateQuery)).playbookRun?.steps)}`);
  }

  /** Opens, acknowledges and assesses the incident with the playbook pinned. */
  async function startResponse(handle: WorkflowHandle, playbook: PinnedPlaybook, assets: Asset[] = [host]): Promise<void> {
    const { openedAt } = await handle.query(stateQuery);
    await handle.signal(alertSignal, { alertId: 'a-1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'high', receivedAt: openedAt, assets });
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
    await handle.executeUpdate(assessUpdate, {
      args: [{ principal: maria, decision: { severity: 'high', category: 'ransomware', strategy: 'contain_first', externalAssistance: false, playbook } }],
    });
  }

  const complete = (handle: WorkflowHandle, taskId: string, by: Principal = alice, extra: Record<string, unknown> = {}) =>
    handle.executeUpdate(completeTaskUpdate, { args: [{ principal: by, decision: { taskId, ...extra } }] });
  const rejection = async (promise: Promise<unknown>): Promise<string> => {
    const err = await promise.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    return (err as WorkflowUpdateFailedError).cause?.message ?? '';
  };
  /**
   * Waits for review, and for the review's invitation to be sent: the test server keeps time from
   * skipping for good when an incident is terminated with an activity still running.
   */
  async function inReview(handle: WorkflowHandle, activities: RecordingActivities): Promise<IncidentState> {
    await waitFor(handle, 'the review invitation', () => activities.notices.some((x) => x.kind === 'review_scheduled'));
    return waitFor(handle, 'review', (s) => s.phase === 'review');
  }
  const statuses = (state: IncidentState) => Object.fromEntries(Object.entries(state.playbookRun?.steps ?? {}).map(([id, s]) => [id, s.status]));

  it('runs independent branches in parallel, joins them, and moves to review when the plan is done', async () => {
    const playbook = pinPlaybook({
      name: 'parallel',
      version: 1,
      title: 'Parallel',
      steps: [
        task('scope'),
        { id: 'isolate', kind: 'action', title: 'Isolate', action: 'contain', needs: ['scope'] },
        { id: 'evidence', kind: 'action', title: 'Evidence', action: 'collect_evidence', needs: ['scope'] },
        task('notify_legal', { needs: ['scope'], owner: { role: 'manager' } }),
        task('wrap_up', { needs: ['isolate', 'evidence', 'notify_legal'] }),
      ],
    });
    const policy = structuredClone(DEFAULT_POLICY);
    policy.high.preApprovedContainment = true;
    await withIncident(env, input(policy), async (handle, activities) => {
      await startResponse(handle, playbook);
      let state = await waitFor(handle, 'the first task open', (s) => s.tasks?.some((t) => t.taskId === 'scope') ?? false);
      expect(state.playbookRun?.pinned).toMatchObject({ name: 'parallel', version: 1, digest: playbook.digest });
      expect(statuses(state)).toEqual({ scope: 'running' });
      await complete(handle, 'scope');

      // The three branches after the scope start together; the join waits for all of them.
      state = await waitFor(handle, 'the branches done', (s) => s.playbookRun?.steps['isolate']?.status === 'done' && s.playbookRun?.steps['evidence']?.status === 'done');
      expect(statuses(state)).toEqual({ scope: 'done', isolate: 'done', evidence: 'done', notify_legal: 'running' });
      expect(activities.actions.map((a) => a.action)).toEqual(['isolate_host']);
      expect(activities.evidence).toHaveLength(1);
      // Started together, in the playbook's order; they may finish in any order.
      const started = activities.audit.filter((e) => e.action === 'step_started').map((e) => e.details['stepId']);
      expect(started).toEqual(['scope', 'isolate', 'evidence', 'notify_legal']);
      const startedAt = (id: string) => state.playbookRun!.steps[id]!.startedAt;
      expect(startedAt('evidence')).toBe(startedAt('isolate'));
      expect(startedAt('notify_legal')).toBe(startedAt('isolate'));

      // A responder may not complete the manager's task; a manager may.
      expect(await rejection(complete(handle, 'notify_legal', alice))).toMatch(/belongs to the manager role, not to alice/);
      await complete(handle, 'notify_legal', maria);
      await waitFor(handle, 'wrap_up open', (s) => s.playbookRun?.steps['wrap_up']?.status === 'running');
      await complete(handle, 'wrap_up');
      state = await inReview(handle, activities);
      expect(statuses(state)).toEqual({ scope: 'done', isolate: 'done', evidence: 'done', notify_legal: 'done', wrap_up: 'done' });
      expect(state.resolvedAt).toBeDefined();
      const done = activities.audit.filter((e) => e.action === 'step_done').map((e) => e.details['stepId']);
      expect(done[0]).toBe('scope');
      expect(done.slice(1, 3).sort()).toEqual(['evidence', 'isolate']);
      expect(done.slice(3)).toEqual(['notify_legal', 'wrap_up']);
      expect(activities.audit.some((e) => e.action === 'playbook_finished')).toBe(true);
      // A completed task cannot be completed again.
      expect(await rejection(complete(handle, 'scope'))).toMatch(/already completed by alice/);
    });
  });

  it('reminds before a task falls due, then pages up the chain every repeat interval until it is done', async () => {
    const playbook = pinPlaybook({ name: 'slow-task', version: 1, title: 'Slow', steps: [task('contact_isp', { due: '1h', remindEvery: '20m' })] });
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, playbook, []);
      const opened = await waitFor(handle, 'the task open', (s) => s.tasks?.some((t) => t.taskId === 'contact_isp') ?? false);
      const createdAt = Date.parse(opened.tasks![0]!.createdAt);
      const skipTo = async (offset: number) => {
        const wait = createdAt + offset - (await env.currentTimeMs());
        if (wait > 0) await env.sleep(wait);
      };
      const taskPages = () => activities.notices.flatMap((x) => (x.kind === 'escalation' && x.escalation.cause === 'task' ? [x.escalation] : []));
      await skipTo(minutes(45));
      expect(activities.notices.filter((x) => x.kind === 'task_reminder').map((x) => (x.kind === 'task_reminder' ? x.reminder : 0))).toEqual([1, 2]);
      expect(taskPages()).toEqual([]);
      await skipTo(hours(1) + seconds(30));
      expect(taskPages().map((e) => e.target)).toEqual(['ir_manager']);
      // High severity repeats every 30 minutes.
      await skipTo(hours(1) + minutes(30) + seconds(30));
      expect(taskPages().map((e) => e.target)).toEqual(['ir_manager', 'ciso']);
      const state = await handle.query(stateQuery);
      expect(state.tasks![0]).toMatchObject({ remindersSent: 2, overduePages: 2 });
      expect(activities.audit.filter((e) => e.action === 'task_overdue')).toHaveLength(2);

      await complete(handle, 'contact_isp');
      await inReview(handle, activities);
      await skipTo(hours(3));
      expect(taskPages()).toHaveLength(2); // nothing more once it was done
    });
  });

  it('runs a built-in strategy as a playbook: its contain step asks for the containment decision, which escalates when missed', async () => {
    const containFirst = pinPlaybook(builtInSource('contain-first.json'), 'strategy');
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, containFirst, [host, address]);
      const waiting = await waitFor(handle, 'the containment decision asked for', (s) => s.response?.awaitingApproval === true);
      expect(waiting.nextDeadline?.kind).toBe('approveContainment');
      expect(statuses(waiting)).toEqual({ contain: 'running' });
      expect(waiting.tasks ?? []).toEqual([]); // the decision, not a gate task
      const requests = () => activities.notices.flatMap((x) => (x.kind === 'escalation' && x.escalation.cause === 'approveContainment' ? [x.escalation] : []));
      await waitFor(handle, 'the request sent', () => requests().length > 0);
      expect(requests().map((e) => e.level)).toEqual([0]);

      // Past the severity's approval deadline it pages one level up, as the coded plan did.
      await env.sleep(Date.parse(waiting.nextDeadline!.dueAt) - (await env.currentTimeMs()) + seconds(30));
      let state = await handle.query(stateQuery);
      expect(state.escalations).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager', cause: 'approveContainment' })]);
      expect(activities.actions).toEqual([]);

      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: false, reason: 'web-01 is the payment front end' } }] });
      state = await inReview(handle, activities);
      expect(activities.actions.map((a) => a.action)).toEqual(['block_address']);
      expect(state.response?.containment).toEqual([
        { asset: host, action: 'isolate_host', status: 'not_approved' },
        { asset: address, action: 'block_address', status: 'done' },
      ]);
      expect(state.response?.completed).toEqual(['containment', 'forensics', 'eradication', 'recovery']);
      expect(state.response?.approval).toMatchObject({ approved: false, by: { name: 'maria' } });
      expect(statuses(state)).toEqual({ contain: 'done', collect_evidence: 'done', verify_patches: 'done', recover: 'done' });
      expect(activities.recoveries.map((a) => a.action)).toEqual(['unblock_address']);
    });
  });

  it('runs evidence_first as a playbook: evidence before the containment decision, destructive actions once approved', async () => {
    const evidenceFirst = pinPlaybook(builtInSource('evidence-first.json'), 'strategy');
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, evidenceFirst, [host]);
      await waitFor(handle, 'the containment decision asked for', (s) => s.response?.awaitingApproval === true);
      expect(activities.evidence).toHaveLength(1);
      expect(activities.actions).toEqual([]);
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] });
      const state = await inReview(handle, activities);
      expect(activities.actions.map((a) => a.action)).toEqual(['isolate_host']);
      expect(state.response?.completed).toEqual(['forensics', 'containment', 'eradication', 'recovery']);
      expect(state.escalations).toEqual([]);
    });
  });

  it('needs two different approvers before destructive containment runs', async () => {
    const playbook = pinPlaybook({
      name: 'four-eyes',
      version: 1,
      title: 'Four eyes',
      steps: [
        { id: 'approve', kind: 'approval', title: 'Approve isolation', approvers: ['manager'], distinctApprovers: 2, due: '1h' },
        { id: 'isolate', kind: 'action', title: 'Isolate', action: 'contain', needs: ['approve'], params: { destructiveApprovedBy: 'approve' } },
      ],
    });
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, playbook);
      await waitFor(handle, 'the gate open', (s) => s.tasks?.some((t) => t.taskId === 'approve') ?? false);
      expect(await rejection(complete(handle, 'approve', alice, { approved: true }))).toMatch(/only manager may decide/);
      await complete(handle, 'approve', maria, { approved: true });
      let state = await handle.query(stateQuery);
      expect(state.tasks![0]).toMatchObject({ status: 'open', approvals: [{ approved: true, by: { name: 'maria' } }] });
      expect(await rejection(complete(handle, 'approve', maria, { approved: true }))).toMatch(/maria already approved "approve"; a second approver must be someone else/);
      expect(activities.actions).toEqual([]);
      await complete(handle, 'approve', omar, { approved: true });
      state = await inReview(handle, activities);
      expect(state.playbookRun?.steps['approve']).toMatchObject({ status: 'done', outcome: { approved: true } });
      expect(activities.actions.map((a) => a.action)).toEqual(['isolate_host']);
      expect(state.response?.containment).toEqual([{ asset: host, action: 'isolate_host', status: 'done' }]);
    });
  });

  it('a refusal decides the gate at once, and destructive containment is not run', async () => {
    const playbook = pinPlaybook({
      name: 'four-eyes',
      version: 1,
      title: 'Four eyes',
      steps: [
        { id: 'approve', kind: 'approval', title: 'Approve isolation', approvers: ['manager'], distinctApprovers: 2, due: '1h' },
        { id: 'isolate', kind: 'action', title: 'Isolate', action: 'contain', needs: ['approve'], params: { destructiveApprovedBy: 'approve' } },
        task('explain', { needs: ['approve'], when: { '!': { var: 'outcomes.approve.approved' } } }),
      ],
    });
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, playbook);
      await waitFor(handle, 'the gate open', (s) => s.tasks?.some((t) => t.taskId === 'approve') ?? false);
      await complete(handle, 'approve', maria, { approved: false, reason: 'production peak' });
      const state = await waitFor(handle, 'the explain task', (s) => s.playbookRun?.steps['explain']?.status === 'running' && s.playbookRun?.steps['isolate']?.status === 'done');
      expect(state.response?.containment).toEqual([{ asset: host, action: 'isolate_host', status: 'not_approved' }]);
      expect(activities.actions).toEqual([]);
    });
  });

  it('skips a step whose condition is false, and a task skipped by a manager with a reason', async () => {
    const playbook = pinPlaybook({
      name: 'skips',
      version: 1,
      title: 'Skips',
      steps: [
        task('critical_only', { when: { '==': [{ var: 'severity' }, 'critical'] } }),
        task('interview'),
        task('report', { needs: ['critical_only', 'interview'] }),
      ],
    });
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, playbook);
      let state = await waitFor(handle, 'interview open', (s) => s.tasks?.some((t) => t.taskId === 'interview') ?? false);
      expect(state.playbookRun?.steps['critical_only']).toMatchObject({ status: 'skipped', reason: 'condition false' });
      expect(await rejection(handle.executeUpdate(skipTaskUpdate, { args: [{ principal: maria, decision: { taskId: 'interview', reason: '  ' } }] }))).toMatch(/a skip needs a reason/);
      await handle.executeUpdate(skipTaskUpdate, { args: [{ principal: maria, decision: { taskId: 'interview', reason: 'the user left the company' } }] });
      state = await waitFor(handle, 'report open', (s) => s.playbookRun?.steps['report']?.status === 'running');
      expect(state.playbookRun?.steps['interview']).toMatchObject({ status: 'skipped', reason: 'the user left the company' });
      expect(state.tasks?.find((t) => t.taskId === 'interview')).toMatchObject({ status: 'skipped', skipped: { by: { name: 'maria' }, reason: 'the user left the company' } });
      const audited = activities.audit.filter((e) => e.action === 'skipTask');
      expect(audited).toHaveLength(1);
      expect(audited[0]).toMatchObject({ actor: 'maria', details: { decision: { taskId: 'interview', reason: 'the user left the company' } } });
      expect(await rejection(complete(handle, 'interview'))).toMatch(/was skipped by maria/);
    });
  });

  it('withdraws the containment request when another playbook replaces the built-in one waiting for it', async () => {
    const containFirst = pinPlaybook(builtInSource('contain-first.json'), 'strategy');
    const manual = pinPlaybook({ name: 'manual-isolation', version: 1, title: 'By hand', steps: [task('isolate_by_hand')] }, 'applied');
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, containFirst, [host]);
      await waitFor(handle, 'the containment decision asked for', (s) => s.response?.awaitingApproval === true);
      await handle.executeUpdate(applyPlaybookUpdate, { args: [{ principal: maria, decision: { playbook: manual } }] });
      const state = await waitFor(handle, 'the request withdrawn', (s) => s.response?.awaitingApproval === false && (s.tasks?.some((t) => t.taskId === 'isolate_by_hand') ?? false));
      expect(state.nextDeadline?.kind).not.toBe('approveContainment');
      expect(statuses(state)).toEqual({ isolate_by_hand: 'running' });
      expect(activities.audit.filter((e) => e.action === 'approval_withdrawn')).toHaveLength(1);
      expect(await rejection(handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] }))).toMatch(/not waiting for a containment approval/);
      await complete(handle, 'isolate_by_hand');
      await inReview(handle, activities);
      expect(activities.actions).toEqual([]);
    });
  });

  it('applies another playbook mid-incident without losing what is done', async () => {
    const first = pinPlaybook({ name: 'first', version: 1, title: 'First', steps: [task('triage'), task('interview', { needs: ['triage'] })] });
    const second = pinPlaybook({ name: 'second', version: 3, title: 'Second', steps: [task('triage'), task('reimage', { needs: ['triage'] })] }, 'applied');
    await withIncident(env, input(), async (handle, activities) => {
      await startResponse(handle, first);
      await waitFor(handle, 'triage open', (s) => s.tasks?.some((t) => t.taskId === 'triage') ?? false);
      await complete(handle, 'triage');
      await waitFor(handle, 'interview open', (s) => s.tasks?.some((t) => t.taskId === 'interview') ?? false);
      await handle.executeUpdate(applyPlaybookUpdate, { args: [{ principal: maria, decision: { playbook: second } }] });
      const state = await waitFor(handle, 'reimage open', (s) => s.tasks?.some((t) => t.taskId === 'reimage') ?? false);
      expect(state.playbookRun?.pinned).toMatchObject({ name: 'second', version: 3, chosen: 'applied' });
      expect(state.playbookRun?.replaced).toEqual([expect.objectContaining({ name: 'first', version: 1, by: 'maria' })]);
      expect(statuses(state)).toEqual({ triage: 'done', reimage: 'running' });
      expect(state.tasks?.find((t) => t.taskId === 'interview')).toMatchObject({ status: 'skipped', skipped: { reason: 'replaced by playbook second version 3' } });
      expect(activities.audit.find((e) => e.action === 'apply_playbook')?.details).toMatchObject({ name: 'second', version: 3, dropped: ['interview'] });
      // The audit log names the playbook by version and digest; history holds it whole.
      expect(activities.audit.find((e) => e.action === 'applyPlaybook')?.details['decision']).toEqual({ playbook: { name: 'second', version: 3, digest: second.digest, chosen: 'applied' } });
      // The same version again is refused.
      expect(await rejection(handle.executeUpdate(applyPlaybookUpdate, { args: [{ principal: maria, decision: { playbook: second } }] }))).toMatch(/already running/);
    });
  });

  it('continues as new while a task is open, and the task is still there to complete', async () => {
    const playbook = pinPlaybook({ name: 'long', version: 1, title: 'Long', steps: [task('hunt', { due: '2d', remindEvery: '1d' }), task('report', { needs: ['hunt'] })] });
    await withIncident(env, input(DEFAULT_POLICY, { continueAsNewAfterEvents: 150 }), async (handle) => {
      const firstRun = (await handle.describe()).runId;
      await startResponse(handle, playbook);
      await waitFor(handle, 'hunt open', (s) => s.tasks?.some((t) => t.taskId === 'hunt') ?? false);
      await handle.executeUpdate(addTaskUpdate, { args: [{ principal: maria, decision: { title: 'Call the vendor', owner: { role: 'manager' }, due: hours(8) } }] });
      // Alerts push the history past the threshold. (The threshold leaves room after the update: the
      // time-skipping server was seen to stop answering when a run continued as new as it completed one.)
      const { openedAt } = await handle.query(stateQuery);
      const latest = env.client.workflow.getHandle(handle.workflowId);
      let alerts = 1;
      const historyLength = async () => Number((await latest.describe()).raw.workflowExecutionInfo?.historyLength ?? 0);
      while ((await historyLength()) < 150 && alerts < 200) {
        alerts += 1;
        await handle.signal(alertSignal, { alertId: `a-${alerts}`, source: 'edr', sourceRef: `r${alerts}`, title: 't', severity: 'high', receivedAt: openedAt, assets: [host] });
      }
      for (let i = 0; i < 60 && (await latest.describe()).runId === firstRun; i++) await env.sleep(seconds(1));
      expect((await latest.describe()).runId).not.toBe(firstRun);
      let state = await latest.query(stateQuery);
      expect(state.tasks?.map((t) => [t.taskId, t.status])).toEqual([['hunt', 'open'], ['adhoc-1', 'open']]);
      expect(state.alertCount).toBe(alerts);
      await latest.executeUpdate(completeTaskUpdate, { args: [{ principal: alice, decision: { taskId: 'hunt' } }] });
      state = await waitFor(latest, 'report open', (s) => s.playbookRun?.steps['report']?.status === 'running');
      expect(statuses(state)).toEqual({ hunt: 'done', report: 'running' });
    });
  });

  // Its own test server: this test needs time to skip after a failed activity, which an earlier
  // test's server (terminated incidents with tasks open) was seen to stop doing.
  describe('on a fresh test server', () => {
    beforeAll(async () => {
      await env.teardown();
      env = await createTimeSkippingEnv();
    });

    it('calls a signed webhook step, uses its answer in a later condition, and escalates and retries a refusal', async () => {
      const playbook = pinPlaybook({
        name: 'ticketing',
        version: 1,
        title: 'Ticketing',
        steps: [
          { id: 'open_ticket', kind: 'action', title: 'Open a ticket', action: 'webhook', params: { url: 'https://tickets.example/hook', queue: 'soc' } },
          task('escalate_vendor', { needs: ['open_ticket'], when: { '==': [{ var: 'outcomes.open_ticket.priority' }, 'p1'] } }),
          task('routine', { needs: ['open_ticket'], when: { '!=': [{ var: 'outcomes.open_ticket.priority' }, 'p1'] } }),
        ],
      });
      const activities = new RecordingActivities();
      activities.webhookAnswers.push(ApplicationFailure.nonRetryable('tickets answered 403', 'WebhookRefused'), { status: 201, answer: { ticket: 'T-7', priority: 'p1' } });
      await withIncident(
        env,
        input(),
        async (handle) => {
          await startResponse(handle, playbook, []);
          const failed = await waitFor(handle, 'the refusal escalated', (s) => s.escalations.some((e) => e.cause === 'stageFailed'));
          expect(failed.playbookRun?.steps['open_ticket']).toMatchObject({ status: 'running', attempts: 1, lastError: 'tickets answered 403' });
          // Retried one repeat interval (30 minutes for high) later.
          const state = await waitFor(handle, 'the vendor task', (s) => s.playbookRun?.steps['escalate_vendor']?.status === 'running', minutes(5));
          expect(state.playbookRun?.steps['open_ticket']).toMatchObject({ status: 'done', attempts: 2, outcome: { ticket: 'T-7', priority: 'p1' } });
          expect(state.playbookRun?.steps['routine']).toMatchObject({ status: 'skipped', reason: 'condition false' });
          expect(activities.webhooks.map((w) => [w.url, w.params, w.attempt])).toEqual([
            ['https://tickets.example/hook', { queue: 'soc' }, 1],
            ['https://tickets.example/hook', { queue: 'soc' }, 2],
          ]);
          expect(activities.audit.filter((e) => e.action === 'step_failed').map((e) => e.details['error'])).toEqual(['tickets answered 403']);
        },
        activities,
      );
    });
  });
});
