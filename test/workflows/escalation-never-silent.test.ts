import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActionRequest } from '../../src/activities/types';
import type { Asset } from '../../src/domain/asset';
import { days, hours, minutes, seconds } from '../../src/domain/duration';
import type { EscalationRecord, IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import {
  acknowledgeUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  declareRegimeUpdate,
  stateQuery,
  type IncidentWorkflowInput,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, RecordingActivities, sleepUntilSinceOpened, withIncident } from '../support/time-skipping';

const host: Asset = { kind: 'host', id: 'web-01' };

/** The escalations sent to the notifier, in order. */
const pages = (activities: RecordingActivities) =>
  activities.notices.flatMap((n) => (n.kind === 'escalation' ? [n.escalation] : []));

describe('escalation never goes silent (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  let n = 0;
  function input(policy: PolicyTable): IncidentWorkflowInput {
    n += 1;
    return { incidentId: `silent-${n}`, dedupKey: `silent-${n}`, title: 'Ransomware on web-01', source: 'edr', severity: 'critical', policy };
  }

  async function waitFor(handle: WorkflowHandle, what: string, reached: (state: IncidentState) => boolean, step = minutes(1)): Promise<IncidentState> {
    for (let i = 0; i < 200; i++) {
      const state = await handle.query(stateQuery);
      if (reached(state)) return state;
      await env.sleep(step);
    }
    throw new Error(`never reached ${what}`);
  }

  /** Pages at the top of the chain after it was first reached, as [cause, commander]. */
  const repeats = (activities: RecordingActivities) => pages(activities).filter((e) => e.repeat).map((e) => [e.cause, e.commander]);

  it('a SEV1 acknowledged late at the top still pages the top and the commander for a missed assessment, approval, filing and review', async () => {
    // A SEV1 whose destructive containment waits for approval, so the approval deadline runs too.
    const policy = structuredClone(DEFAULT_POLICY);
    policy.critical.preApprovedContainment = false;
    await withIncident(env, input(policy), async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      await handle.signal(alertSignal, { alertId: 'a-1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'critical', receivedAt: openedAt, assets: [host] });
      const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'gdpr_art33', startedAt: openedAt, clocks } }] });

      // Nobody answers: the chain is climbed to the top in 45 minutes.
      await sleepUntilSinceOpened(env, handle, minutes(50));
      expect(pages(activities).map((e) => e.target)).toEqual(['on_call', 'ir_manager', 'ciso', 'external_assistance']);
      await handle.executeUpdate(assignRoleUpdate, { args: [{ principal: maria, decision: { role: 'commander', person: 'carol' } }] });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      expect(repeats(activities)).toEqual([]); // acknowledged before the first repeat, due at 60 minutes
      // A missed assessment (due 1 h after the acknowledgement) pages the top again, and the commander.
      await sleepUntilSinceOpened(env, handle, minutes(50) + hours(1) + seconds(30));
      let state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(3);
      expect(repeats(activities)).toEqual([['assess', 'carol']]);
      // …and again every 15 minutes while the assessment is still missing.
      await sleepUntilSinceOpened(env, handle, minutes(50) + hours(1) + minutes(15) + seconds(30));
      expect(repeats(activities)).toEqual([['assess', 'carol'], ['assess', 'carol']]);

      await handle.executeUpdate(assessUpdate, { args: [{ principal: maria, decision: { severity: 'critical', category: 'malware', strategy: 'contain_first', externalAssistance: false } }] });
      state = await waitFor(handle, 'the approval wait', (s) => s.response?.awaitingApproval === true, seconds(1));
      // A missed approval (30 minutes) pages the top and the commander.
      await env.sleep(minutes(31));
      expect(repeats(activities).slice(2)).toEqual([['approveContainment', 'carol']]);
      await handle.executeUpdate(approveContainmentUpdate, { args: [{ principal: maria, decision: { approved: true } }] });
      state = await waitFor(handle, 'the review', (s) => s.phase === 'review', seconds(30));

      // The GDPR notification passes unfiled at 72 h: the top and the commander are paged again, once.
      await sleepUntilSinceOpened(env, handle, hours(72) + minutes(1));
      expect(repeats(activities).slice(3)).toEqual([['regulatory', 'carol']]);
      await sleepUntilSinceOpened(env, handle, hours(80));
      expect(repeats(activities).slice(3)).toEqual([['regulatory', 'carol']]);

      // The review deadline (5 days) passes: paged again, and every 15 minutes until it is recorded.
      const reviewDue = Date.parse(state.nextDeadline!.dueAt);
      expect(state.nextDeadline!.kind).toBe('review');
      await env.sleep(reviewDue - (await env.currentTimeMs()) + minutes(16));
      expect(repeats(activities).slice(4)).toEqual([['review', 'carol'], ['review', 'carol']]);
      state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(3);
      // Every page after the top is its own page, each audited once.
      const numbers = pages(activities).flatMap((e) => (e.page === undefined ? [] : [e.page]));
      expect(numbers.length).toBeGreaterThanOrEqual(9);
      expect(new Set(numbers).size).toBe(numbers.length);
      const audited = activities.audit.filter((a) => a.entryKey.startsWith('page:')).map((a) => a.entryKey);
      expect(new Set(audited).size).toBe(audited.length);
      expect(audited).toHaveLength(pages(activities).filter((e) => e.reason !== 'destructive containment is waiting for a manager’s approval').length);
      expect(activities.audit.filter((a) => a.entryKey === 'approval-requested')).toHaveLength(1);
    });
  });

  it('walks a configured chain: two targets on a level, a second pass over the chain, then the top on repeat', async () => {
    const policy = structuredClone(DEFAULT_POLICY);
    policy.critical.escalation = { levels: [['on_call'], ['ir_manager', 'ciso'], ['external_assistance']], loops: 1 };
    await withIncident(env, input(policy), async (handle, activities) => {
      await sleepUntilSinceOpened(env, handle, minutes(15) * 6 + seconds(30));
      expect(pages(activities).map((e: EscalationRecord) => [e.level, (e.targets ?? [e.target]).join('+'), e.loop ?? 0, e.repeat ?? false])).toEqual([
        [0, 'on_call', 0, false],
        [1, 'ir_manager+ciso', 0, false],
        [2, 'external_assistance', 0, false],
        [0, 'on_call', 1, false],
        [1, 'ir_manager+ciso', 1, false],
        [2, 'external_assistance', 1, false],
        [2, 'external_assistance', 1, true],
      ]);
    });
  });

  it('breaches the containment SLA while containment is still running: one breach, a page, and the stage finishes later', async () => {
    const policy = structuredClone(DEFAULT_POLICY);
    policy.critical.deadlines.contain = minutes(20);
    /** The containment adapter times out until the test lets it through. */
    class StuckContainment extends RecordingActivities {
      stuck = true;
      override async contain(request: ActionRequest): Promise<void> {
        if (this.stuck) throw ApplicationFailure.retryable('EDR did not answer in time');
        await super.contain(request);
      }
    }
    const activities = new StuckContainment();
    await withIncident(
      env,
      input(policy),
      async (handle) => {
        const { openedAt } = await handle.query(stateQuery);
        await handle.signal(alertSignal, { alertId: 'a-1', source: 'edr', sourceRef: 'r1', title: 't', severity: 'critical', receivedAt: openedAt, assets: [host] });
        await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
        const assessed = await handle.executeUpdate(assessUpdate, { args: [{ principal: maria, decision: { severity: 'critical', category: 'malware', strategy: 'contain_first', externalAssistance: false } }] });
        const containDue = assessed.stageDeadlines!.find((d) => d.kind === 'contain')!.dueAt;

        let state = await waitFor(handle, 'the containment breach', (s) => s.slaBreaches.some((b) => b.deadline === 'contain'));
        expect(state.response?.containment).toEqual([]); // still running
        expect(state.slaBreaches).toEqual([expect.objectContaining({ deadline: 'contain', phase: 'response', dueAt: containDue })]);
        expect(pages(activities).filter((e) => e.cause === 'contain')).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager' })]);
        expect(Date.parse(pages(activities).find((e) => e.cause === 'contain')!.at)).toBeGreaterThanOrEqual(Date.parse(containDue));

        activities.stuck = false;
        state = await waitFor(handle, 'containment done', (s) => (s.response?.containment.length ?? 0) > 0);
        await env.sleep(days(1));
        state = await handle.query(stateQuery);
        expect(state.slaBreaches.filter((b) => b.deadline === 'contain')).toHaveLength(1);
        expect(state.stageDeadlines?.some((d) => d.kind === 'contain')).toBe(false);
        expect(activities.actions).toEqual([expect.objectContaining({ asset: host, action: 'isolate_host' })]);
      },
      activities,
    );
  });
});
