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
    const hipaa = await post(`/v1/incidents/${id}/regimes`, { regime: 'hipaa_breach', startedAt: awareAt });
    expect(hipaa.body.regulatoryClocks.map((c: { regime: string }) => c.regime)).toEqual(['gdpr_art33', 'hipaa_breach']);

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
});
