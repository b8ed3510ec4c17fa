import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { hours, minutes } from '../../src/domain/duration';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import { declareRegimeUpdate, recordFilingUpdate, stateQuery } from '../../src/workflows/messages';
import { maria } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

describe('regulatory clocks (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  // Lifecycle deadlines far away, so every escalation seen here is the regulators'.
  const policy = structuredClone(DEFAULT_POLICY);
  policy.high.deadlines.acknowledge = hours(24 * 365);
  let n = 0;
  const input = () => {
    n += 1;
    return { incidentId: `reg-${n}`, dedupKey: `reg-${n}`, title: 'Customer database exfiltration', source: 'dlp', severity: 'high' as const, policy };
  };

  it('reminds 24 h and 4 h before the GDPR deadline, escalates when it passes unfiled, and takes a late filing only with its reasons', async () => {
    await withIncident(env, input(), async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'gdpr_art33', startedAt: openedAt, clocks } }] });
      const reminders = () => activities.notices.filter((x) => x.kind === 'regulatory_reminder');

      await env.sleep(hours(47) + minutes(59));
      expect(reminders()).toHaveLength(0);
      await env.sleep(minutes(2));
      expect(reminders()).toHaveLength(1);
      await env.sleep(hours(20));
      expect(reminders()).toHaveLength(2);
      expect((await handle.query(stateQuery)).escalationLevel).toBe(0);
      await env.sleep(hours(4));
      const missed = await handle.query(stateQuery);
      expect(missed.regulatoryClocks).toEqual([expect.objectContaining({ regime: 'gdpr_art33', missed: true, remindersSent: 2 })]);
      expect(missed.escalations).toEqual([expect.objectContaining({ level: 1, target: 'ir_manager', cause: 'regulatory', reason: expect.stringMatching(/gdpr_art33 notification was due/) })]);

      const late = { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-2026-0042', filedAt: new Date(Date.parse(clocks[0]!.dueAt) + hours(2)).toISOString() };
      const refused = await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: late }] }).catch((e: { cause?: Error }) => e.cause?.message);
      expect(refused).toMatch(/late filing must carry its reasons/);
      const filed = await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { ...late, lateReason: 'scope of the breach was unclear until forensics finished' } }] });
      expect(filed.regulatoryClocks?.[0]?.filing).toMatchObject({ reference: 'DPA-2026-0042', late: true, by: { name: 'maria' } });
    });
  });

  it('stops a clock once its filing is recorded: no reminder, no escalation', async () => {
    await withIncident(env, input(), async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      const clocks = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', startedAt: openedAt, clocks } }] });
      await env.sleep(hours(1));
      for (const stage of ['early_warning', 'notification', 'final_report']) {
        await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', stage, reference: `CSIRT-${stage}`, filedAt: openedAt } }] });
      }
      await env.sleep(hours(24 * 40));
      const state = await handle.query(stateQuery);
      expect(state.escalations).toEqual([]);
      expect(activities.notices.filter((x) => x.kind === 'regulatory_reminder')).toHaveLength(0);
      expect(state.regulatoryClocks?.every((c) => c.filing && !c.filing.late && !c.missed)).toBe(true);
    });
  });
});
