import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Asset } from '../../src/domain/asset';
import type { Assessment } from '../../src/domain/decisions';
import { days, hours, minutes, seconds } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import type { Severity } from '../../src/domain/severity';
import {
  acknowledgeUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  closeUpdate,
  recordReviewUpdate,
  stateQuery,
  type IncidentWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, RecordingActivities, withIncident } from '../support/time-skipping';

const host: Asset = { kind: 'host', id: 'web-01' };
const account: Asset = { kind: 'account', id: 'svc-backup' };
const address: Asset = { kind: 'address', id: '198.51.100.7' };

describe('the incident lifecycle (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  /**
   * A closed incident starts its archiving child; on the time-skipping test server a child workflow
   * stops time from skipping for the rest of the server's life, so such tests get their own server.
   */
  async function withClosingEnv(body: (env: TestWorkflowEnvironment) => Promise<void>): Promise<void> {
    const shared = env;
    env = await createTimeSkippingEnv(); // the helpers above use `env`
    try {
      await body(env);
    } finally {
      await env.teardown();
      env = shared;
    }
  }

  let n = 0;
  function input(severity: Severity): IncidentWorkflowInput {
    n += 1;
    return { incidentId: `life-${n}`, dedupKey: `life-${n}`, title: 'Ransomware on web-01', source: 'edr', severity, policy: DEFAULT_POLICY };
  }

  async function alert(handle: WorkflowHandle, severity: Severity, assets: Asset[]): Promise<void> {
    await handle.signal(alertSignal, { alertId: `a-${assets.length}`, source: 'edr', sourceRef: 'r1', title: 't', severity, receivedAt: new Date().toISOString(), assets });
  }

  async function triage(handle: WorkflowHandle, assessment: Partial<Assessment> & Pick<Assessment, 'severity' | 'strategy'>): Promise<IncidentState> {
    await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
    return handle.executeUpdate(assessUpdate, {
      args: [{ principal: maria, decision: { category: 'malware', externalAssistance: false, ...assessment } }],
    });
  }

  /**
   * Skips time in `step`s until the incident's state satisfies `reached` (at most 100 steps). A
   * single fixed sleep would not do: while activities run, the test server's time flows at the
   * speed of the real clock, so a slow moment could end it before the workflow got there.
   */
  async function waitForState(handle: WorkflowHandle, what: string, reached: (state: IncidentState) => boolean, step = seconds(1)): Promise<IncidentState> {
    for (let i = 0; i < 100; i++) {
      const state = await handle.query(stateQuery);
      if (reached(state)) return state;
      await env.sleep(step);
    }
    throw new Error(`never reached ${what}`);
  }

  const waitForPhase = (handle: WorkflowHandle, phase: IncidentState['phase'], step = seconds(1)) => waitForState(handle, phase, (s) => s.phase === phase, step);
  const awaitingApproval = (handle: WorkflowHandle) => waitForState(handle, 'the approval wait', (s) => s.response?.awaitingApproval === true);

  /** The validator's reason for rejecting an update. */
  async function rejection(update: Promise<unknown>): Promise<string> {
    const err = await update.then(
      () => undefined,
      (e: unknown) => e as { cause?: { message?: string } },
    );
    if (!err) throw new Error('the update was accepted');
    return err.cause?.message ?? String(err);
  }

  it('escalates an unapproved destructive containment after the approval deadline and stops once approved', async () => {
    await withIncident(env, input('high'), async (handle, activities) => {
      await alert(handle, 'high', [host, address]);
      const assessed = await triage(handle, { severity: 'high', strategy: 'contain_first' });
      expect(assessed.phase).toBe('response');
      let state = await awaitingApproval(handle);
      expect(state.nextDeadline?.kind).toBe('approveContainment');
      expect(activities.actions).toEqual([]); // nothing destructive ran yet

      await env.sleep(minutes(59));
      expect((await handle.query(stateQuery)).escalationLevel).toBe(0);
      await env.sleep(minutes(2));
      state = await handle.query(stateQuery);
      expect(state.escalations).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager', cause: 'approveContainment' })]);

      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] });
      await env.sleep(hours(3)); // past further repeats: no more escalations
      state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(1);
      expect(activities.actions.map((a) => a.action)).toEqual(['isolate_host', 'block_address']);
      expect(state.response?.containment.every((c) => c.status === 'done')).toBe(true);
      expect(state.containedAt).toBeDefined();
    });
  });

  it('runs only non-destructive containment when the approval is refused', async () => {
    await withIncident(env, input('high'), async (handle, activities) => {
      await alert(handle, 'high', [host, address]);
      await triage(handle, { severity: 'high', strategy: 'contain_first' });
      await awaitingApproval(handle);
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: false, reason: 'web-01 is the payment front end' } }] });
      const state = await waitForPhase(handle, 'review');
      expect(activities.actions.map((a) => a.action)).toEqual(['block_address']);
      expect(state.response?.containment).toEqual([
        { asset: host, action: 'isolate_host', status: 'not_approved' },
        { asset: address, action: 'block_address', status: 'done' },
      ]);
      // Recovery undoes only what was done.
      expect(activities.recoveries.map((a) => a.action)).toEqual(['unblock_address']);
    });
  });

  it('collects evidence before containing when the strategy is evidence_first, and after when contain_first', async () => {
    for (const strategy of ['evidence_first', 'contain_first'] as const) {
      const order: string[] = [];
      const activities = new RecordingActivities();
      activities.contain = async (r) => void order.push(`contain:${r.asset.id}`);
      activities.collectEvidence = async (r) => {
        order.push(`evidence:${r.asset.id}`);
        return { artifacts: 3 };
      };
      await withIncident(
        env,
        input('critical'),
        async (handle) => {
          await alert(handle, 'critical', [host]);
          await triage(handle, { severity: 'critical', strategy });
          const state = await waitForPhase(handle, 'review');
          expect(state.response?.completed).toEqual(strategy === 'evidence_first' ? ['forensics', 'containment', 'eradication', 'recovery'] : ['containment', 'forensics', 'eradication', 'recovery']);
          expect(state.response?.artifactsCollected).toBe(3);
        },
        activities,
      );
      expect(order).toEqual(strategy === 'evidence_first' ? ['evidence:web-01', 'contain:web-01'] : ['contain:web-01', 'evidence:web-01']);
    }
  });

  it('escalates when patches are not verified by the deadline, repeats, and moves on once they are', async () => {
    const activities = new RecordingActivities();
    activities.patchedAfter = Number.POSITIVE_INFINITY;
    await withIncident(
      env,
      input('critical'),
      async (handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        let state = await waitForState(handle, 'eradication', (s) => s.response?.current === 'eradication');
        const started = Date.parse(state.nextDeadline!.dueAt) - hours(24);

        await env.sleep(hours(23) + minutes(59));
        expect((await handle.query(stateQuery)).escalationLevel).toBe(0);
        await env.sleep(minutes(2));
        state = await handle.query(stateQuery);
        expect(state.escalations).toEqual([expect.objectContaining({ level: 1, cause: 'patchVerify' })]);
        expect(state.response?.patchResults).toEqual([expect.objectContaining({ asset: host, patched: false })]);
        expect(state.slaBreaches).toEqual([expect.objectContaining({ deadline: 'patchVerify', phase: 'response' })]);

        await env.sleep(minutes(15));
        expect((await handle.query(stateQuery)).escalations.map((e) => e.target)).toEqual(['ir_manager', 'ciso']);
        const asked = activities.patchChecks.length;
        expect(asked).toBeGreaterThanOrEqual(2);
        // Each scanner call polls until the pending deadline.
        expect(Date.parse(activities.patchChecks[0]!.until)).toBe(started + hours(24));

        activities.patchedAfter = asked + 1;
        state = await waitForPhase(handle, 'review', minutes(1));
        expect(state.response?.patchResults).toEqual([expect.objectContaining({ asset: host, patched: true })]);
        expect(state.resolvedAt).toBeDefined();
      },
      activities,
    );
  });

  it('reminds daily about a SEV1 review, escalates when it is 5 days overdue, and closes once it is recorded', async () => {
    await withClosingEnv(async (env) => withIncident(env, input('critical'), async (handle, activities) => {
      await alert(handle, 'critical', [host]);
      await triage(handle, { severity: 'critical', strategy: 'contain_first' });
      const inReview = await waitForPhase(handle, 'review');
      expect(inReview.nextDeadline?.kind).toBe('review');
      // The notice goes out just after the phase changes: wait for it rather than race it.
      await waitForState(handle, 'the review notice', () => activities.notices.some((x) => x.kind === 'review_scheduled'));
      expect(activities.notices.filter((x) => x.kind === 'review_scheduled')).toHaveLength(1);

      // Closing before the review is rejected for a SEV1.
      expect(await rejection(handle.executeUpdate(closeUpdate, { args: [{ principal: maria, decision: { resolution: 'resolved', summary: 'done' } }] }))).toMatch(
        /SEV1 incident needs a recorded post-incident review/,
      );

      await env.sleep(days(4) + hours(1));
      let state = await handle.query(stateQuery);
      expect(state.reviewRemindersSent).toBe(4);
      expect(state.escalationLevel).toBe(0);
      await env.sleep(hours(23) + minutes(1)); // just past the 5-day deadline
      state = await handle.query(stateQuery);
      expect(state.escalations).toEqual([expect.objectContaining({ level: 1, cause: 'review' })]);
      expect(state.slaBreaches).toEqual([expect.objectContaining({ deadline: 'review', phase: 'review' })]);

      await handle.executeUpdate(recordReviewUpdate, {
        args: [{ principal: maria, decision: { lessons: 'EDR exclusions hid the dropper', actionItems: [{ title: 'Audit exclusions', owner: 'secops', dueAt: '2026-04-01T00:00:00Z' }] } }],
      });
      await env.sleep(days(2));
      state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(1); // the review stopped the clock
      const closed = await handle.executeUpdate(closeUpdate, { args: [{ principal: maria, decision: { resolution: 'resolved', summary: 'contained and patched' } }] });
      expect(closed.phase).toBe('closed');
      const result: IncidentState = await handle.result();
      expect(Object.keys(result.phaseEnteredAt)).toEqual(['detected', 'triage', 'response', 'review', 'closed']);
      expect(result.closure).toMatchObject({ resolution: 'resolved', by: { name: 'maria' } });
      // The archive runs in a child the incident leaves behind when it ends: wait for that child.
      await env.client.workflow.getHandle(`archive-${result.incidentId}`).result();
      expect(activities.archived).toEqual([result.incidentId]);
    }));
  });

  it('ends a false positive at triage as dismissed', async () => {
    await withClosingEnv(async (env) => withIncident(env, input('medium'), async (handle, activities) => {
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      const dismissed = await handle.executeUpdate(assessUpdate, {
        args: [{ principal: maria, decision: { severity: 'low', category: 'benign', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'pen test traffic' } } }],
      });
      expect(dismissed).toMatchObject({ phase: 'dismissed', severity: 'low', dismissal: { reason: 'pen test traffic', by: { name: 'maria' } } });
      const result: IncidentState = await handle.result();
      expect(result.phase).toBe('dismissed');
      expect(activities.snapshots.at(-1)?.phase).toBe('dismissed');
      await env.client.workflow.getHandle(`archive-${result.incidentId}`).result();
      expect(activities.archived).toEqual([result.incidentId]);
    }));
  });

  it('records its publishes one at a time, so the audit chain keeps the order things happened in', async () => {
    // The opening's publish is slow; the acknowledgement arrives meanwhile and must queue behind it.
    const activities = new RecordingActivities();
    const record = activities.recordIncident.bind(activities);
    let first = true;
    activities.recordIncident = async (state, audit) => {
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      return record(state, audit);
    };
    await withIncident(
      env,
      input('high'),
      async (handle) => {
        await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
        await waitForState(handle, 'the acknowledgement recorded', () => activities.audit.some((e) => e.action === 'acknowledge'));
        const order = activities.audit.map((e) => e.entryKey);
        expect(order.indexOf('opened')).toBeGreaterThanOrEqual(0);
        expect(order.indexOf('opened')).toBeLessThan(order.findIndex((k) => k.startsWith('decision:')));
        expect(activities.snapshots.map((s) => s.version)).toEqual([...activities.snapshots.map((s) => s.version)].sort((a, b) => a - b));
      },
      activities,
    );
  });

  it('keeps its state, alert count and applied decisions across continue-as-new', async () => {
    const carried = { ...input('critical'), continueAsNewAfterEvents: 60 };
    await withIncident(env, carried, async (handle) => {
      const firstRunId = (await handle.describe()).runId;
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }], updateId: 'ack-once' });
      for (let i = 0; i < 150; i++) {
        await handle.signal(alertSignal, { alertId: `storm-${i}`, source: 'ids', sourceRef: `s${i}`, title: 't', severity: 'critical', receivedAt: new Date().toISOString(), assets: [] });
      }
      const state = await waitForState(handle, 'all 150 alerts counted', (s) => s.alertCount >= 150);
      // Continuing as new is refused while signals arrive (pitfall 31): the last alerts can be
      // counted in the first run, which continues just after. Wait for it in real time.
      for (let i = 0; i < 100 && (await handle.describe()).runId === firstRunId; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect((await handle.describe()).runId).not.toBe(firstRunId);
      expect(state.alertCount).toBe(150);
      expect(state).toMatchObject({ phase: 'triage', acknowledgedBy: { name: 'alice' } });
      // An intake retry delivers an alert twice, long after the recent alerts moved past it: the new
      // run still knows both ids and counts neither again; a new alert still counts.
      for (const i of [0, 120, 150]) {
        await handle.signal(alertSignal, { alertId: `storm-${i}`, source: 'ids', sourceRef: `s${i}`, title: 't', severity: 'critical', receivedAt: new Date().toISOString(), assets: [] });
      }
      expect((await waitForState(handle, 'the new alert counted', (s) => s.alertCount > 150)).alertCount).toBe(151);
      // The same update, retried by a client after continue-as-new, is not applied twice nor rejected.
      const retried = await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }], updateId: 'ack-once' });
      expect(retried.acknowledgedAt).toBe(state.acknowledgedAt);
      // A new acknowledgement is a new decision, and rejected.
      expect(await rejection(handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: maria, decision: {} }] }))).toMatch(/already acknowledged by alice/);
    });
  });

  it('retries a containment action that failed for a while, and escalates one the adapter refused for good', async () => {
    const flaky = new RecordingActivities();
    let calls = 0;
    flaky.contain = async (r) => {
      calls += 1;
      if (calls < 3) throw new Error('EDR answered 503');
      flaky.actions.push(r);
    };
    await withIncident(
      env,
      input('critical'),
      async (handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        const state = await waitForPhase(handle, 'review');
        expect(calls).toBe(3);
        expect(state.response?.containment).toEqual([{ asset: host, action: 'isolate_host', status: 'done' }]);
      },
      flaky,
    );

    const refused = new RecordingActivities();
    let refusals = 0;
    refused.contain = async (r) => {
      refusals += 1;
      if (refusals === 1) throw ApplicationFailure.nonRetryable('webhook asset_action refused with 403: host is protected', 'WebhookRefused');
      refused.actions.push(r);
    };
    await withIncident(
      env,
      input('critical'),
      async (handle) => {
        await alert(handle, 'critical', [host]);
        await triage(handle, { severity: 'critical', strategy: 'contain_first' });
        const state = await waitForState(handle, 'the failed-stage escalation', (s) => s.escalations.length > 0);
        expect(state.phase).toBe('response');
        expect(state.escalations).toEqual([expect.objectContaining({ level: 1, cause: 'stageFailed', reason: expect.stringMatching(/containment failed: .*host is protected/) })]);
        expect(refused.escalationTargets()).toContain('ir_manager');
        expect(refused.actions).toEqual([]);
        // One repeat interval later (15 minutes for a SEV1) the step runs again, and this time the tool accepts.
        const done = await waitForPhase(handle, 'review', minutes(1));
        expect(refused.actions.map((a) => a.action)).toEqual(['isolate_host']);
        expect(done.response?.containment).toEqual([{ asset: host, action: 'isolate_host', status: 'done' }]);
      },
      refused,
    );
  });
});
