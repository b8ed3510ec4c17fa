import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('regulatory clocks over HTTP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, body: unknown) => stack.request('POST', path, { key: stack.keys.manager, body });

  async function open(): Promise<string> {
    const res = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'dlp', sourceRef: uniqueKey('dlp'), title: 'Patient records sent to a personal address', severity: 'high', dedupKey: uniqueKey('dlp') },
    });
    return res.body.incidentId;
  }

  it('starts clocks from the awareness the manager records, even before the incident opened, and shows each deadline', async () => {
    const id = await open();
    const awareAt = new Date(Date.now() - 2 * 86_400_000).toISOString(); // learnt two days before Firebreak heard of it
    const gdpr = await post(`/v1/incidents/${id}/regimes`, { regime: 'gdpr_art33', startedAt: awareAt });
    expect(gdpr.status).toBe(200);
    expect(gdpr.body.regulatoryClocks).toEqual([
      expect.objectContaining({ regime: 'gdpr_art33', stage: 'notification', startedAt: awareAt, dueAt: new Date(Date.parse(awareAt) + 72 * 3_600_000).toISOString() }),
    ]);
    const hipaa = await post(`/v1/incidents/${id}/regimes`, { regime: 'hipaa_breach', startedAt: awareAt, affected: { total: 12, maxInOneState: 12 } });
    expect(hipaa.body.regulatoryClocks.map((c: { regime: string; stage: string }) => `${c.regime} ${c.stage}`)).toEqual(['gdpr_art33 notification', 'hipaa_breach individual_notice', 'hipaa_breach hhs_notice']);

    expect((await post(`/v1/incidents/${id}/regimes`, { regime: 'gdpr_art33', startedAt: awareAt })).status).toBe(409);
    const unknown = await post(`/v1/incidents/${id}/regimes`, { regime: 'ccpa', startedAt: awareAt });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0]).toMatchObject({ field: 'regime' });
    const future = await post(`/v1/incidents/${id}/regimes`, { regime: 'nis2_art23', startedAt: '2999-01-01T00:00:00Z' });
    expect(future.status).toBe(400);
    const sec = await post(`/v1/incidents/${id}/regimes`, { regime: 'sec_8k_105', startedAt: awareAt });
    expect(sec.status).toBe(400);
    expect(sec.body.detail).toMatch(/materiality/);
  });

  it('starts the SEC clock from the materiality determination, in business days', async () => {
    const id = await open();
    const determinedAt = '2026-11-25T20:00:00.000Z'; // the day before Thanksgiving, 15:00 in New York
    // A date the holiday calendar has no data for is the caller's bad date: 400 naming it, not a 500.
    const tooOld = await post(`/v1/incidents/${id}/materiality`, { material: true, determinedAt: '2019-06-03T15:00:00.000Z', rationale: 'customer data of 2M users' });
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.errors).toEqual([expect.objectContaining({ field: 'determinedAt', message: expect.stringMatching(/no data for 2019/) })]);
    const res = await post(`/v1/incidents/${id}/materiality`, { material: true, determinedAt, rationale: 'customer data of 2M users' });
    expect(res.status).toBe(200);
    expect(res.body.materiality).toMatchObject({ material: true, determinedAt, by: { name: 'test-manager' } });
    expect(res.body.regulatoryClocks).toEqual([expect.objectContaining({ regime: 'sec_8k_105', stage: 'form_8k', startsFrom: 'materiality', dueAt: '2026-12-02T22:30:00.000Z' })]);
    expect((await post(`/v1/incidents/${id}/materiality`, { material: false, determinedAt, rationale: 'again' })).status).toBe(409);
  });

  it('records filings, refuses a late GDPR filing without reasons, and keeps an incident open while a filing is due', async () => {
    const id = await open();
    const awareAt = new Date(Date.now() - 4 * 86_400_000).toISOString(); // the 72 hours have passed
    await post(`/v1/incidents/${id}/regimes`, { regime: 'gdpr_art33', startedAt: awareAt });
    const late = await post(`/v1/incidents/${id}/filings`, { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-77' });
    expect(late.status).toBe(409);
    expect(late.body.detail).toMatch(/late filing must carry its reasons/);
    const filed = await post(`/v1/incidents/${id}/filings`, { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-77', lateReason: 'the processor told us on day 3' });
    expect(filed.status).toBe(200);
    expect(filed.body.regulatoryClocks[0].filing).toMatchObject({ reference: 'DPA-77', late: true, lateReason: 'the processor told us on day 3', by: { name: 'test-manager' } });
    expect((await post(`/v1/incidents/${id}/filings`, { regime: 'gdpr_art33', stage: 'notification', reference: 'again' })).status).toBe(409);
    const notRunning = await post(`/v1/incidents/${id}/filings`, { regime: 'nis2_art23', stage: 'early_warning', reference: 'x' });
    expect(notRunning.status).toBe(409);

    // The rejected filings are in the audit log.
    const audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: stack.keys.auditor });
    expect(audit.body.entries.filter((e: { action: string; outcome: string }) => e.action === 'recordFiling' && e.outcome === 'rejected')).toHaveLength(3);
  });

  it('settles HIPAA stages by the counts sent, tracks GDPR Art. 34, re-bases the NIS2 final report on the notification filing, and bounds filedAt', async () => {
    const id = await open();
    const day = 86_400_000;
    const discoveredAt = new Date(Date.now() - 70 * day).toISOString(); // the 60 days for individuals have passed
    const noCounts = await post(`/v1/incidents/${id}/regimes`, { regime: 'hipaa_breach', startedAt: discoveredAt });
    expect(noCounts.status).toBe(409);
    expect(noCounts.body.detail).toMatch(/affected.total and affected.maxInOneState/);
    const badCounts = await post(`/v1/incidents/${id}/regimes`, { regime: 'hipaa_breach', startedAt: discoveredAt, affected: { total: 10, maxInOneState: 11 } });
    expect(badCounts.status).toBe(400);
    expect(badCounts.body.errors[0]).toMatchObject({ field: 'affected.maxInOneState' });
    const hipaa = await post(`/v1/incidents/${id}/regimes`, { regime: 'hipaa_breach', startedAt: discoveredAt, affected: { total: 1_200, maxInOneState: 640 } });
    expect(hipaa.status).toBe(200);
    const sixtyDays = new Date(Date.parse(discoveredAt.slice(0, 10)) + 61 * day - 1).toISOString();
    expect(hipaa.body.regulatoryClocks.map((c: { stage: string; dueAt: string }) => [c.stage, c.dueAt])).toEqual([
      ['individual_notice', sixtyDays],
      ['hhs_notice', sixtyDays],
      ['media_notice', sixtyDays],
    ]);

    const art34 = await post(`/v1/incidents/${id}/regimes`, { regime: 'gdpr_art34', startedAt: discoveredAt });
    expect(art34.body.regulatoryClocks.at(-1)).toMatchObject({ regime: 'gdpr_art34', stage: 'data_subjects', withoutUndueDelay: true });
    expect(art34.body.regulatoryClocks.at(-1).dueAt).toBeUndefined();

    // A filing cannot precede the discovery it reports; the answer names filedAt.
    const beforeStart = await post(`/v1/incidents/${id}/filings`, { regime: 'hipaa_breach', stage: 'individual_notice', reference: 'x', filedAt: new Date(Date.parse(discoveredAt) - day).toISOString() });
    expect(beforeStart.status).toBe(409);
    expect(beforeStart.body.detail).toMatch(/^filedAt .* is before the hipaa_breach individual_notice clock started/);
    const future = await post(`/v1/incidents/${id}/filings`, { regime: 'hipaa_breach', stage: 'individual_notice', reference: 'x', filedAt: new Date(Date.now() + day).toISOString() });
    expect(future.status).toBe(400);
    expect(future.body.errors[0]).toMatchObject({ field: 'filedAt' });

    // Recorded today, after the deadline, but stated as made on day 30: both times kept, and flagged.
    const day30 = new Date(Date.parse(discoveredAt) + 30 * day).toISOString();
    const backdated = await post(`/v1/incidents/${id}/filings`, { regime: 'hipaa_breach', stage: 'individual_notice', reference: 'letters-1', filedAt: day30 });
    expect(backdated.status).toBe(200);
    const filing = backdated.body.regulatoryClocks[0].filing;
    expect(filing).toMatchObject({ filedAt: day30, late: false, recordedAfterDeadline: true });
    expect(Date.now() - Date.parse(filing.recordedAt)).toBeLessThan(60_000);

    const nis2Start = new Date(Date.now() - 40 * day).toISOString();
    const nis2 = await post(`/v1/incidents/${id}/regimes`, { regime: 'nis2_art23', startedAt: nis2Start });
    const finalReport = () => nis2.body.regulatoryClocks.find((c: { regime: string; stage: string }) => c.regime === 'nis2_art23' && c.stage === 'final_report');
    expect(finalReport()).toMatchObject({ startsAfter: 'notification' });
    expect(finalReport().dueAt).toBeUndefined();
    let notifiedMs = Date.now() - 5 * day;
    while (new Date(notifiedMs).getUTCDate() > 28) notifiedMs -= day; // a day every month has, so "a month later" is plain
    const notifiedAt = new Date(notifiedMs).toISOString();
    const notified = await post(`/v1/incidents/${id}/filings`, { regime: 'nis2_art23', stage: 'notification', reference: 'CSIRT-7', filedAt: notifiedAt });
    const rebased = notified.body.regulatoryClocks.find((c: { regime: string; stage: string }) => c.regime === 'nis2_art23' && c.stage === 'final_report');
    const monthLater = new Date(notifiedAt);
    monthLater.setUTCMonth(monthLater.getUTCMonth() + 1);
    expect(rebased).toMatchObject({ startedAt: notifiedAt });
    expect(rebased.dueAt).toBe(monthLater.toISOString());
    expect(Date.parse(rebased.dueAt)).toBeGreaterThan(Date.parse(nis2Start) + 31 * day); // not a month after awareness
  });
});

