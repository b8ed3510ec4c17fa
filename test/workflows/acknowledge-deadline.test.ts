import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { hours, minutes, seconds } from '../../src/domain/duration';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import type { Severity } from '../../src/domain/severity';
import { acknowledgeUpdate, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { createTimeSkippingEnv, sleepUntilSinceOpened, withIncident } from '../support/time-skipping';

/** Milliseconds from `from` to `to`, both ISO instants. */
const elapsed = (from: string, to: string) => Date.parse(to) - Date.parse(from);

describe('acknowledgement deadline (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  let n = 0;
  function input(severity: Severity): IncidentWorkflowInput {
    n += 1;
    return { incidentId: `deadline-${n}`, dedupKey: `k${n}`, title: 'Beacon to known C2', source: 'ids', severity, policy: DEFAULT_POLICY };
  }

  it('escalates to the IR manager when nobody acknowledges a SEV1 in 15 minutes, and not before', async () => {
    await withIncident(env, input('critical'), async (handle, activities) => {
      const after = (offset: number) => sleepUntilSinceOpened(env, handle, offset);
      await after(minutes(14) + seconds(59));
      let state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(0);
      expect(state.slaBreaches).toEqual([]);
      expect(activities.escalationTargets()).toEqual(['on_call']);

      await after(minutes(15) + seconds(1));
      state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(1);
      expect(state.escalations).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager', cause: 'acknowledge' })]);
      expect(state.slaBreaches).toEqual([expect.objectContaining({ deadline: 'acknowledge', phase: 'detected' })]);
      expect(elapsed(state.openedAt, state.escalations[0]!.at)).toBeGreaterThanOrEqual(minutes(15));
      expect(activities.escalationTargets()).toEqual(['on_call', 'ir_manager']);
      // The read model was sent the escalation too.
      expect(activities.snapshots.at(-1)?.escalationLevel).toBe(1);
    });
  });

  it('climbs the chain every 15 minutes for a SEV1, then keeps paging the top every 15 minutes until acknowledged', async () => {
    await withIncident(env, input('critical'), async (handle, activities) => {
      await sleepUntilSinceOpened(env, handle, minutes(45) + seconds(1));
      let state = await handle.query(stateQuery);
      expect(state.escalations.map((e) => [e.target, Math.floor(elapsed(state.openedAt, e.at) / minutes(1))])).toEqual([
        ['ir_manager', 15],
        ['ciso', 30],
        ['external_assistance', 45],
      ]);
      // The top was reached, and the deadline still runs: the next page is due a repeat interval later.
      expect(state.nextDeadline).toEqual({ kind: 'acknowledge', dueAt: new Date(Date.parse(state.openedAt) + minutes(60)).toISOString() });

      await sleepUntilSinceOpened(env, handle, hours(2) + seconds(1));
      state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(3);
      const repeats = state.escalations.filter((e) => e.repeat);
      expect(repeats.map((e) => Math.floor(elapsed(state.openedAt, e.at) / minutes(1)))).toEqual([60, 75, 90, 105, 120]);
      expect(repeats.every((e) => e.target === 'external_assistance' && e.cause === 'acknowledge')).toBe(true);
      // One breach for the one missed deadline, however often it paged.
      expect(state.slaBreaches).toHaveLength(1);
      expect(activities.notices).toHaveLength(9); // the on-call page, three escalations, five repeats

      const principal = { keyId: 'k1', name: 'alice', role: 'responder' as const };
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal, decision: {} }] });
      await env.sleep(minutes(50));
      expect(activities.notices).toHaveLength(9); // the acknowledgement stopped the repeats
    });
  });

  it('follows the severity: a SEV3 escalates after 4 hours, not after 15 minutes', async () => {
    await withIncident(env, input('medium'), async (handle) => {
      await sleepUntilSinceOpened(env, handle, hours(3) + minutes(59));
      expect((await handle.query(stateQuery)).escalationLevel).toBe(0);
      await sleepUntilSinceOpened(env, handle, hours(4) + minutes(1));
      expect((await handle.query(stateQuery)).escalationLevel).toBe(1);
    });
  });

  it('stops the acknowledgement clock once acknowledged and starts the assessment clock', async () => {
    await withIncident(env, input('critical'), async (handle) => {
      await env.sleep(minutes(10));
      const principal = { keyId: 'k1', name: 'alice', role: 'responder' as const };
      const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal, decision: {} }] });
      expect(acked.phase).toBe('triage');
      expect(acked.nextDeadline).toEqual({ kind: 'assess', dueAt: new Date(Date.parse(acked.acknowledgedAt!) + hours(1)).toISOString() });

      // Past the old 15-minute mark nothing escalates; the 1-hour assessment deadline runs from the acknowledgement.
      await env.sleep(minutes(59));
      expect((await handle.query(stateQuery)).escalationLevel).toBe(0);
      await env.sleep(minutes(2));
      const state = await handle.query(stateQuery);
      expect(state.escalations).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager', cause: 'assess' })]);
    });
  });

  it('runs on the policy it started with, not on the table in the code', async () => {
    const started = structuredClone(DEFAULT_POLICY);
    started.critical.deadlines.acknowledge = minutes(5);
    await withIncident(env, { ...input('critical'), policy: started }, async (handle) => {
      await sleepUntilSinceOpened(env, handle, minutes(5) + seconds(1));
      const state = await handle.query(stateQuery);
      expect(state.escalationLevel).toBe(1);
      expect(state.escalations[0]?.reason).toMatch(/acknowledge deadline/);
    });
  });
});
