import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Asset } from '../../src/domain/asset';
import type { Decided } from '../../src/domain/decisions';
import { days, hours, seconds } from '../../src/domain/duration';
import { openFollowUps, type FollowUpState } from '../../src/domain/follow-up';
import type { IncidentState } from '../../src/domain/incident';
import { chainFor, DEFAULT_POLICY } from '../../src/domain/policy';
import type { Principal } from '../../src/domain/principal';
import { followUpWorkflowIdFor } from '../../src/temporal/contract';
import {
  acknowledgeUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  closeUpdate,
  completeFollowUpUpdate,
  followUpStateQuery,
  recordReviewUpdate,
  skipFollowUpUpdate,
  stateQuery,
  type FollowUpWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTestWorker, createTimeSkippingEnv, RecordingActivities, withIncident } from '../support/time-skipping';

const host: Asset = { kind: 'host', id: 'web-07' };
const dave: Principal = { keyId: 'k-dave', name: 'dave', role: 'responder' };

/**
 * The test server can leave a query unanswered when it arrives while a workflow task is in flight
 * (a child's first tasks run just as its parent ends): ask again, briefly.
 */
async function followUpState(env: TestWorkflowEnvironment, handle: WorkflowHandle): Promise<FollowUpState> {
  for (let i = 0; i < 10; i++) {
    const state = await env.client.withDeadline(Date.now() + 3_000, () => handle.query(followUpStateQuery)).catch(() => undefined);
    if (state) return state;
  }
  throw new Error(`${handle.workflowId} never answered its query`);
}

describe('an incident closing with action items (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    // Closed incidents leave children behind (archive, follow-ups), which stop time skipping: a server of its own.
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('leaves a follow-up workflow with one open task per item, assigned to its owner and owned by the commander', async () => {
    const input = { incidentId: 'follow-up-close-1', dedupKey: 'follow-up-close-1', title: 'Web shell on web-07', source: 'edr', severity: 'high' as const, policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      const decide = <T>(update: UpdateDefinition<IncidentState, [Decided<T>]>, decision: T, by = maria) => handle.executeUpdate(update, { args: [{ principal: by, decision }] });
      const waitFor = async (what: string, reached: (s: IncidentState) => boolean) => {
        for (let i = 0; i < 100; i++) {
          if (reached(await handle.query(stateQuery))) return;
          await env.sleep(seconds(30));
        }
        throw new Error(`never reached ${what}`);
      };

      await handle.signal(alertSignal, { alertId: 'a-1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'high', receivedAt: openedAt, assets: [host] });
      await decide(acknowledgeUpdate, {}, alice);
      await decide(assignRoleUpdate, { role: 'commander', person: 'carol' });
      await decide(assessUpdate, { severity: 'high', category: 'malware', strategy: 'contain_first', externalAssistance: false });
      await waitFor('the approval wait', (s) => s.response?.awaitingApproval === true);
      await decide(approveContainmentUpdate, { approved: true });
      await waitFor('the review', (s) => s.phase === 'review');
      const now = await env.currentTimeMs();
      const soon = new Date(now + days(3)).toISOString();
      const later = new Date(now + days(10)).toISOString();
      await decide(recordReviewUpdate, {
        lessons: 'web shells went unnoticed for a week',
        actionItems: [
          { title: 'Deploy file integrity monitoring on the web tier', owner: 'dave', dueAt: soon },
          { title: 'Rotate the deploy keys', owner: 'alice', dueAt: later },
        ],
      });
      const closed = await decide(closeUpdate, { resolution: 'resolved', summary: 'host rebuilt' });
      expect(closed.phase).toBe('closed');
      const final: IncidentState = await handle.result();

      const opened = await followUpState(env, env.client.workflow.getHandle(followUpWorkflowIdFor(input.incidentId)));
      expect(opened).toMatchObject({ incidentId: input.incidentId, title: input.title, severity: 'high', commander: 'carol', chain: chainFor(DEFAULT_POLICY.high) });
      expect(opened.tasks.map((t) => [t.taskId, t.title, t.assignee, t.owner, t.status, t.dueAt])).toEqual([
        ['follow-up-1', 'Deploy file integrity monitoring on the web tier', 'dave', { incidentRole: 'commander' }, 'open', soon],
        ['follow-up-2', 'Rotate the deploy keys', 'alice', { incidentRole: 'commander' }, 'open', later],
      ]);
      // Its task rows count on from the incident's last version, so the read model only moves forward.
      // (The first snapshot is exact; by the time of the query a reminder may have fired already.)
      for (let i = 0; i < 50 && activities.followUpSnapshots.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(activities.followUpSnapshots[0]?.version).toBe(final.version + 1);
      expect(opened.version).toBeGreaterThan(final.version);
      expect(activities.audit.map((a) => a.entryKey)).toContain('follow-ups-opened');
    });
  });
});

/**
 * The review's action items outlive the incident: after it closed, each is reminded on its due
 * date, pages up the chain every day it is overdue, and ends with an audited completion or skip.
 * The follow-up workflow runs here on its own, as the closing incident starts it (see above).
 */
describe('follow-ups after the incident closed (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('reminds on the due date, escalates every day overdue, and ends once each item is done or skipped', async () => {
    const activities = new RecordingActivities();
    const worker = await createTestWorker(env, activities);
    await worker.runUntil(async () => {
      const closedAt = await env.currentTimeMs();
      const soon = new Date(closedAt + days(3)).toISOString();
      const later = new Date(closedAt + days(10)).toISOString();
      const initial = openFollowUps({
        incidentId: 'follow-up-walk-1',
        title: 'Web shell on web-07',
        severity: 'high',
        chain: chainFor(DEFAULT_POLICY.high),
        commander: 'carol',
        closedAt: new Date(closedAt).toISOString(),
        incidentVersion: 40,
        items: [
          { title: 'Deploy file integrity monitoring on the web tier', owner: 'dave', dueAt: soon },
          { title: 'Rotate the deploy keys', owner: 'alice', dueAt: later },
        ],
      });
      const input: FollowUpWorkflowInput = { initial };
      const followUps = await env.client.workflow.start('followUpWorkflow', { workflowId: followUpWorkflowIdFor('follow-up-walk-1'), taskQueue: worker.options.taskQueue, args: [input] });
      const reminders = () => activities.notices.flatMap((n) => (n.kind === 'task_reminder' ? [`${n.taskId}→${n.recipient}`] : []));
      const pages = () => activities.notices.flatMap((n) => (n.kind === 'escalation' ? [n.escalation] : []));
      // A timer's notice is sent by an activity, which runs in real time once the timer fired.
      const until = async (what: string, reached: () => boolean) => {
        for (let i = 0; i < 60 && !reached(); i++) await env.sleep(seconds(1));
        if (!reached()) throw new Error(`never saw ${what}`);
      };

      // The due date of the first item: its owner is reminded, and nobody is paged yet.
      await env.sleep(days(2) + hours(1));
      await until('the reminder', () => reminders().length > 0);
      expect(reminders()).toEqual(['follow-up-1→dave']);
      expect(pages()).toEqual([]);

      // Past due: the chain is paged one level up, and a level higher again a day later.
      await env.sleep(days(1));
      await until('the first page', () => pages().length > 0);
      expect(pages().map((e) => [e.cause, e.level, e.targets])).toEqual([['followUp', 1, ['ir_manager']]]);
      expect(pages()[0]!.reason).toContain('follow-up "Deploy file integrity monitoring on the web tier" (follow-up-1, owner dave) is overdue');
      await env.sleep(days(1));
      await until('the second page', () => pages().length > 1);
      expect(pages().map((e) => [e.level, e.targets])).toEqual([
        [1, ['ir_manager']],
        [2, ['ciso']],
      ]);

      // Only its assignee (or a manager) may complete it.
      const complete = (taskId: string, by: Principal) => followUps.executeUpdate(completeFollowUpUpdate, { args: [{ principal: by, decision: { taskId } }] });
      await expect(complete('follow-up-1', alice)).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      const done = await complete('follow-up-1', dave);
      expect(done.tasks[0]).toMatchObject({ status: 'done', completed: { by: { name: 'dave' } } });
      const pagesWhenDone = pages().length;
      await env.sleep(days(5)); // to the second item's due date
      await until('the second item\'s reminder', () => reminders().length > 1);
      expect(pages()).toHaveLength(pagesWhenDone); // a completed item pages nobody
      expect(reminders()).toEqual(['follow-up-1→dave', 'follow-up-2→alice']);

      // The second item is dropped with a reason; then nothing is left and the workflow ends.
      const skip = (reason: string) => followUps.executeUpdate(skipFollowUpUpdate, { args: [{ principal: maria, decision: { taskId: 'follow-up-2', reason } }] });
      await expect(skip(' ')).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
      await skip('keys replaced by workload identity');
      const settled: FollowUpState = await followUps.result();
      expect(settled.tasks.map((t) => t.status)).toEqual(['done', 'skipped']);
      expect(settled.tasks[1]!.skipped).toMatchObject({ by: { name: 'maria' }, reason: 'keys replaced by workload identity' });

      // Every step is on the incident's audit chain, once: opened, reminders, pages, decisions, settled.
      const keys = activities.audit.map((a) => a.entryKey);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
      expect(keys.filter((k) => !k.startsWith('decision:'))).toEqual([
        'follow-ups-opened',
        'follow-up-reminder:follow-up-1:1',
        'follow-up-page:1',
        'follow-up-page:2',
        'follow-up-reminder:follow-up-2:1',
        'follow-ups-settled',
      ]);
      expect(activities.audit.filter((a) => a.outcome === 'applied').map((a) => [a.action, a.actor])).toEqual([
        ['completeFollowUp', 'dave'],
        ['skipFollowUp', 'maria'],
      ]);
      // The read model's last snapshot is the settled one, at a higher version than any before.
      const versions = activities.followUpSnapshots.map((s) => s.version);
      expect(versions).toEqual([...versions].sort((a, b) => a - b));
      expect(activities.followUpSnapshots.at(-1)?.tasks.map((t) => t.status)).toEqual(['done', 'skipped']);
    });
  });
});
