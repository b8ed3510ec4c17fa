import { IncidentRepository } from '../../src/db/incident-repository';
import { TaskRegister } from '../../src/db/task-register';
import { completeFollowUp, openFollowUps, skipFollowUp, type FollowUpState } from '../../src/domain/follow-up';
import { hours, minutes } from '../../src/domain/duration';
import { acknowledge, assess, close, enterPhase, escalateForMissedDeadline, openIncident, recordContainment, recordReview, resolve, type IncidentState } from '../../src/domain/incident';
import { chainFor, DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES, fileClock } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import type { Severity } from '../../src/domain/severity';
import { waitFor } from '../../src/net';
import { ensureWeeklyReportSchedule } from '../../src/temporal/schedules';
import { alice, maria } from '../support/principals';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

const t0 = Date.parse('2026-10-05T09:00:00Z');
const at = (ms: number) => new Date(t0 + ms);

/** An incident opened at `openedAfter`, acknowledged after `mtta`, contained after `mttc`, resolved after `mttr` (all from opening). */
function incident(n: number, severity: Severity, openedAfter: number, timing: { mtta?: number; mttc?: number; mttr?: number; closeAfter?: number; category?: string }): IncidentState {
  const opened = at(openedAfter);
  const since = (ms: number) => new Date(opened.getTime() + ms);
  let s = openIncident({ incidentId: `${n}`.padStart(16, '0'), dedupKey: `r${n}`, title: `Seeded ${n}`, source: 'seed', severity }, DEFAULT_POLICY, opened);
  if (timing.mtta === undefined) return s;
  s = acknowledge(s, maria, DEFAULT_POLICY, since(timing.mtta));
  s = assess(s, { severity, category: timing.category ?? 'malware', strategy: 'contain_first', externalAssistance: false }, maria, DEFAULT_POLICY, since(timing.mtta + 1));
  if (timing.mttc === undefined) return s;
  s = recordContainment(s, [], DEFAULT_POLICY, since(timing.mttc));
  if (timing.mttr === undefined) return s;
  s = resolve(s, 0, DEFAULT_POLICY, since(timing.mttr));
  s = recordReview(s, { lessons: 'l', actionItems: [{ title: `Fix ${n}`, owner: 'secops', dueAt: '2026-12-01T00:00:00Z' }] }, maria, since(timing.mttr + 1));
  return timing.closeAfter ? close(s, { resolution: 'resolved', summary: 's' }, maria, DEFAULT_POLICY, since(timing.closeAfter)) : s;
}

/** A GDPR notification recorded 8 h after its deadline, stated as filed 2 h before it. */
function withBackdatedFiling(state: IncidentState): IncidentState {
  const start = new Date(state.openedAt);
  const clocks = clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, start, []);
  const filedAt = new Date(start.getTime() + hours(70)).toISOString();
  return { ...state, regulatoryClocks: fileClock(clocks, 'gdpr_art33', 'notification', { reference: 'DPA-9', filedAt, by: maria }, new Date(start.getTime() + hours(80))) };
}

/**
 * A closed incident's follow-ups as their workflow records them: one per item, then each
 * completion or skip at its own instant (the read model keeps only the latest version).
 */
function followUps(incidentId: string, closedAt: Date, items: Array<{ dueAt: string; done?: string; skipped?: string }>): FollowUpState {
  let state = openFollowUps({
    incidentId,
    title: `Seeded ${incidentId}`,
    severity: 'critical',
    chain: chainFor(DEFAULT_POLICY.critical),
    commander: 'maria',
    closedAt: closedAt.toISOString(),
    incidentVersion: 50,
    items: items.map((item, i) => ({ title: `Follow-up ${i + 1} of ${incidentId}`, owner: 'alice', dueAt: item.dueAt })),
  });
  items.forEach((item, i) => {
    const taskId = `follow-up-${i + 1}`;
    if (item.done) state = completeFollowUp(state, { taskId }, alice, new Date(item.done));
    if (item.skipped) state = skipFollowUp(state, { taskId, reason: 'superseded' }, maria, new Date(item.skipped));
  });
  return state;
}

describe('the CISO summary', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
    const repo = new IncidentRepository(stack.db.pool);
    const breached = escalateForMissedDeadline(incident(6, 'medium', hours(5), {}), { kind: 'acknowledge', dueAt: at(hours(9)).toISOString() }, DEFAULT_POLICY, at(hours(9)), { legacy: false }).state;
    const dismissed = enterPhase(incident(7, 'low', hours(6), { mtta: minutes(20) }), 'dismissed', DEFAULT_POLICY, at(hours(7)));
    const seeded = [
      incident(1, 'critical', 0, { mtta: minutes(5), mttc: hours(1), mttr: hours(4), closeAfter: hours(30), category: 'ransomware' }),
      incident(2, 'critical', hours(1), { mtta: minutes(10), mttc: hours(2), mttr: hours(6), closeAfter: hours(30), category: 'ransomware' }),
      incident(3, 'critical', hours(2), { mtta: minutes(30), mttc: hours(3), mttr: hours(8) }),
      withBackdatedFiling(incident(4, 'high', hours(3), { mtta: minutes(20), mttc: hours(5) })),
      // 400 ms past the minute: the read model keeps it, the report rounds it away.
      incident(5, 'high', hours(4), { mtta: minutes(40) + 400 }),
      breached,
      dismissed,
      incident(8, 'critical', hours(24 * 20), { mtta: minutes(1) }), // outside the period
    ];
    const closedLongAgo = incident(9, 'high', -hours(24 * 70), { mtta: minutes(5), mttc: hours(1), mttr: hours(2), closeAfter: hours(30) }); // July: outside the period
    for (const s of [...seeded, closedLongAgo]) await repo.upsert(s);

    // Follow-ups, counted as of the period's end (2026-10-12): open 4, overdue 3, done 1, skipped 1.
    const tasks = new TaskRegister(stack.db.pool);
    for (const f of [
      followUps('0000000000000001', at(hours(30)), [
        { dueAt: '2026-12-01T00:00:00.000Z' }, // open, not yet due
        { dueAt: '2026-10-09T00:00:00.000Z' }, // open and overdue
        { dueAt: '2026-10-20T00:00:00.000Z', done: '2026-10-08T12:00:00.000Z' }, // done in the period
      ]),
      followUps('0000000000000002', at(hours(31)), [
        { dueAt: '2026-10-10T00:00:00.000Z', skipped: '2026-10-14T00:00:00.000Z' }, // skipped after the period: open and overdue at its end
        { dueAt: '2026-10-30T00:00:00.000Z', skipped: '2026-10-07T00:00:00.000Z' }, // skipped in the period
      ]),
      followUps('0000000000000009', new Date('2026-07-29T00:00:00.000Z'), [
        { dueAt: '2026-09-01T00:00:00.000Z' }, // an old incident's item still open: open and overdue
        { dueAt: '2026-09-01T00:00:00.000Z', done: '2026-09-15T00:00:00.000Z' }, // done before the period: not counted
      ]),
      // Created after the period (incident 8 closes later): not part of its backlog.
      followUps('0000000000000008', at(hours(24 * 21)), [{ dueAt: '2026-11-01T00:00:00.000Z' }]),
    ]) {
      await tasks.record(stack.db.pool, f.incidentId, f.version, f.tasks);
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  const period = `from=2026-10-05T00:00:00Z&to=2026-10-12T00:00:00Z`;

  it('equals the figures computed by hand', async () => {
    const res = await stack.request('GET', `/v1/reports/summary?${period}`, { key: stack.keys.auditor });
    expect(res.status).toBe(200);
    const r = res.body;
    expect(r.opened).toEqual({ total: 7, bySeverity: { critical: 3, high: 2, medium: 1, low: 1 }, byCategory: { ransomware: 2, malware: 4, uncategorised: 1 } });
    expect(r.closed).toEqual({ total: 2, bySeverity: { critical: 2 } });
    expect(r.dismissed).toEqual({ total: 1, bySeverity: { low: 1 } });
    // MTTA for SEV1: 5, 10, 30 min → median 10 min; p90 = 10 + 0.8 × (30 − 10) = 26 min.
    expect(r.mtta.critical).toEqual({ count: 3, median: 600, p90: 1560 });
    // High: 20 and 40 min → median 30 min, p90 = 20 + 0.9 × 20 = 38 min.
    expect(r.mtta.high).toEqual({ count: 2, median: 1800, p90: 2280 });
    expect(r.mttc.critical).toEqual({ count: 3, median: 7200, p90: 10080 }); // 1, 2, 3 h
    expect(r.mttc.high).toEqual({ count: 1, median: 18000, p90: 18000 });
    expect(r.mttr.critical).toEqual({ count: 3, median: 21600, p90: 27360 }); // 4, 6, 8 h
    expect(r.mttr.high).toEqual({ count: 0, median: null, p90: null });
    expect(r.slaBreaches).toEqual({ total: 1, byPhase: { detected: 1 }, byDeadline: { acknowledge: 1 } });
    expect(r.actionItems.map((a: { title: string }) => a.title)).toEqual(['Fix 1', 'Fix 2', 'Fix 3']);
    // Open at the end: 1/f1, 1/f2, 2/f1 (skipped only later), 9/f1; overdue among them: 1/f2, 2/f1, 9/f1.
    expect(r.followUps).toEqual({ open: 4, overdue: 3, done: 1, skipped: 1 });
    // Recorded after the deadline with an earlier stated time: flagged, with both times, not counted as met.
    expect(r.regulatory).toEqual({ gdpr_art33: { met: 0, late: 0, recordedLate: 1, missed: 0, due: 0 } });
    expect(r.recordedLateFilings).toEqual([
      { incidentId: '0000000000000004', regime: 'gdpr_art33', stage: 'notification', dueAt: at(hours(3) + hours(72)).toISOString(), filedAt: at(hours(3) + hours(70)).toISOString(), recordedAt: at(hours(3) + hours(80)).toISOString() },
    ]);
  });

  it('renders the same report as Markdown', async () => {
    const res = await fetch(`${stack.api.url}/v1/reports/summary?${period}&format=markdown`, { headers: { authorization: `Bearer ${stack.keys.manager}` } });
    expect(res.headers.get('content-type')).toMatch(/^text\/markdown/);
    const text = await res.text();
    expect(text).toContain('# Security incidents 2026-10-05 – 2026-10-12');
    expect(text).toContain('Opened **7**, closed **2**, dismissed **1**; SLA breaches **1**.');
    expect(text).toContain('| critical | 3 | 2 | 0 | 10 min / 26 min | 2.0 h / 2.8 h | 6.0 h / 7.6 h |');
    expect(text).toContain('- gdpr_art33: 0 met, 0 filed late, 0 missed and unfiled, 0 still due, 1 recorded after the deadline with an earlier stated time');
    expect(text).toContain('Open at the end of the period **4**, of which overdue **3**; completed in the period **1**, skipped **1**.');
    expect(text).toMatch(/- check: gdpr_art33 notification of incident 0000000000000004, due .*, stated as filed .*, recorded /);
  });

  it('is produced by the weekly Temporal Schedule and sent through the notifier', async () => {
    const scheduleId = await ensureWeeklyReportSchedule(stack.temporal, { scheduleId: uniqueKey('weekly'), taskQueue: stack.taskQueue });
    const handle = stack.temporal.schedule.getHandle(scheduleId);
    try {
      expect((await handle.describe()).spec.calendars?.[0]).toMatchObject({ dayOfWeek: [{ start: 'MONDAY' }] });
      await handle.trigger();
      const sent = await waitFor('the weekly report', async () => {
        const { rows } = await stack.db.pool.query(`SELECT action FROM dry_run_actions WHERE adapter = 'notifier' AND idempotency_key LIKE 'summary-report:%'`);
        if (!rows[0]) throw new Error('not sent yet');
        return rows[0].action;
      }, 30_000, 250);
      expect(sent).toMatchObject({ recipient: 'ciso', people: ['ciso'], body: expect.stringContaining('# Security incidents') });
    } finally {
      await handle.delete();
    }
  });

  it('rejects a period that ends before it starts', async () => {
    const res = await stack.request('GET', '/v1/reports/summary?from=2026-10-12T00:00:00Z&to=2026-10-05T00:00:00Z', { key: stack.keys.auditor });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('from');
  });
});
