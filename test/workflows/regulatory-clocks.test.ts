import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { hours, minutes } from '../../src/domain/duration';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES, utcDeadline } from '../../src/domain/regulatory';
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

      const late = { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-2026-0042', filedAt: new Date(Date.parse(clocks[0]!.dueAt!) + minutes(1)).toISOString() };
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

  const rejection = (e: { cause?: Error }) => e.cause?.message;

  it('starts the NIS2 final report one month from the notification filing: not due a month after awareness, missed a month after the filing', async () => {
    await withIncident(env, input(), async (handle) => {
      const { openedAt } = await handle.query(stateQuery);
      const clocks = clocksFor('nis2_art23', DEFAULT_REGIMES.nis2_art23!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', startedAt: openedAt, clocks } }] });
      const early = await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', stage: 'final_report', reference: 'too-soon', filedAt: openedAt } }] }).catch(rejection);
      expect(early).toMatch(/starts when notification is filed/);

      await env.sleep(hours(10));
      const filedAt = new Date(Date.parse(openedAt) + hours(10)).toISOString();
      for (const stage of ['early_warning', 'notification']) {
        await handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime: 'nis2_art23', stage, reference: `CSIRT-${stage}`, filedAt } }] });
      }
      const dueAt = utcDeadline(new Date(filedAt), { months: 1 })!.toISOString();
      const started = (await handle.query(stateQuery)).regulatoryClocks!.find((c) => c.stage === 'final_report')!;
      expect(started).toMatchObject({ startsAfter: 'notification', startedAt: filedAt, dueAt, missed: false });

      // A month after awareness, the old deadline, passes quietly; a month after the filing, the new one is missed.
      const sleepUntil = async (at: number) => env.sleep(Math.max(at - (await env.currentTimeMs()), 1));
      const monthAfterAwareness = utcDeadline(new Date(openedAt), { months: 1 })!.getTime();
      await sleepUntil(monthAfterAwareness + hours(1));
      const before = await handle.query(stateQuery);
      expect(before.escalations).toEqual([]);
      expect(before.regulatoryClocks!.find((c) => c.stage === 'final_report')).toMatchObject({ missed: false });
      await sleepUntil(Date.parse(dueAt) + minutes(1));
      const after = await handle.query(stateQuery);
      expect(after.regulatoryClocks!.find((c) => c.stage === 'final_report')).toMatchObject({ missed: true, dueAt });
      expect(after.escalations).toEqual([expect.objectContaining({ cause: 'regulatory', reason: expect.stringMatching(/nis2_art23 final_report was due/) })]);
    });
  });

  it('settles HIPAA stages by the affected counts, refuses them without counts, tracks GDPR Art. 34 without a timer, and bounds filedAt', async () => {
    await withIncident(env, input(), async (handle) => {
      const { openedAt } = await handle.query(stateQuery);
      const hipaa = clocksFor('hipaa_breach', DEFAULT_REGIMES.hipaa_breach!, new Date(openedAt), []);
      const declareHipaa = (affected?: { total: number; maxInOneState: number }) =>
        handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'hipaa_breach', startedAt: openedAt, clocks: hipaa, ...(affected ? { affected } : {}) } }] });
      expect(await declareHipaa().catch(rejection)).toMatch(/hipaa_breach needs the number of people affected: affected.total and affected.maxInOneState/);
      const declared = await declareHipaa({ total: 120, maxInOneState: 120 });
      const hhs = declared.regulatoryClocks!.find((c) => c.stage === 'hhs_notice')!;
      expect(declared.regulatoryClocks!.map((c) => c.stage)).toEqual(['individual_notice', 'hhs_notice']);
      // Fewer than 500: the annual log, due 60 days after the end of the year of discovery.
      expect(hhs.dueAt).toBe(new Date(Date.UTC(new Date(openedAt).getUTCFullYear() + 1, 0, 1) + 60 * 24 * hours(1) - 1).toISOString());
      expect(hhs.when).toBeUndefined();

      const art34 = clocksFor('gdpr_art34', DEFAULT_REGIMES.gdpr_art34!, new Date(openedAt), []);
      await handle.executeUpdate(declareRegimeUpdate, { args: [{ principal: maria, decision: { regime: 'gdpr_art34', startedAt: openedAt, clocks: art34 } }] });

      const file = (stage: string, regime: string, filedAt: string) =>
        handle.executeUpdate(recordFilingUpdate, { args: [{ principal: maria, decision: { regime, stage, reference: `${regime}-${stage}`, filedAt } }] });
      const beforeStart = new Date(Date.parse(openedAt) - minutes(1)).toISOString();
      expect(await file('individual_notice', 'hipaa_breach', beforeStart).catch(rejection)).toMatch(/^filedAt .* is before the hipaa_breach individual_notice clock started/);
      const tomorrow = new Date(Date.parse(openedAt) + hours(24)).toISOString();
      expect(await file('individual_notice', 'hipaa_breach', tomorrow).catch(rejection)).toMatch(/^filedAt .* is in the future/);

      await env.sleep(hours(24 * 70));
      const later = await handle.query(stateQuery);
      const communication = later.regulatoryClocks!.find((c) => c.regime === 'gdpr_art34')!;
      expect(communication).toMatchObject({ stage: 'data_subjects', withoutUndueDelay: true, missed: false });
      expect(communication.dueAt).toBeUndefined();
      // The individuals' notice was missed; the Art. 34 communication, with no deadline, never is.
      expect(later.escalations.map((e) => e.reason)).toEqual([expect.stringMatching(/hipaa_breach individual_notice was due/)]);

      // Recorded now, 70 days in, but stated as made on day 5: both times are kept, and it is flagged.
      const day5 = new Date(Date.parse(openedAt) + 5 * 24 * hours(1)).toISOString();
      const filed = await file('data_subjects', 'gdpr_art34', day5);
      expect(filed.regulatoryClocks!.find((c) => c.regime === 'gdpr_art34')!.filing).toMatchObject({ filedAt: day5, late: false });
      const hhsFiled = await file('hhs_notice', 'hipaa_breach', day5);
      const hhsFiling = hhsFiled.regulatoryClocks!.find((c) => c.stage === 'hhs_notice')!.filing!;
      expect(hhsFiling).toMatchObject({ filedAt: day5, late: false });
      expect(hhsFiling.recordedAfterDeadline).toBeUndefined(); // the annual log is not due until next year
      const individuals = await file('individual_notice', 'hipaa_breach', day5);
      const backdated = individuals.regulatoryClocks!.find((c) => c.stage === 'individual_notice')!.filing!;
      expect(backdated).toMatchObject({ filedAt: day5, late: false, recordedAfterDeadline: true });
      expect(Date.parse(backdated.recordedAt!)).toBeGreaterThanOrEqual(Date.parse(openedAt) + 70 * 24 * hours(1));
    });
  });
});

