import { ApiKeyStore } from '../../src/db/api-key-store';
import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('duplicate and conflicting decisions sent at the same moment', () => {
  let stack: TestStack;
  const managers = { maria: '', tomas: '' };
  const responders = { ana: '', li: '' };
  beforeAll(async () => {
    stack = await startTestStack();
    const keys = new ApiKeyStore(stack.db.pool);
    for (const name of ['maria', 'tomas'] as const) managers[name] = (await keys.create(name, 'manager')).token;
    for (const name of ['ana', 'li'] as const) responders[name] = (await keys.create(name, 'responder')).token;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, key: string, body: unknown, headers?: Record<string, string>) => stack.request('POST', path, { key, body, headers });
  const auditEntries = async (id: string) => (await stack.request('GET', `/v1/incidents/${id}/audit`, { key: stack.keys.auditor })).body.entries as any[];

  async function awaitingApproval(): Promise<string> {
    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Credential dumping on jump host', severity: 'high', dedupKey: uniqueKey('race'), assets: [{ kind: 'host', id: uniqueKey('jump') }] });
    const id = opened.body.incidentId;
    await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {});
    await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'high', category: 'intrusion', strategy: 'contain_first', externalAssistance: false });
    await waitFor('the approval wait', async () => {
      const state = (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor })).body;
      if (!state.response?.awaitingApproval) throw new Error('not waiting yet');
    }, 20_000, 100);
    return id;
  }

  it('two managers approve and refuse containment at once: one applies, the other gets 409, both are in the audit log', async () => {
    const id = await awaitingApproval();
    const [approval, refusal] = await Promise.all([
      post(`/v1/incidents/${id}/containment/approval`, managers.maria, { approved: true }),
      post(`/v1/incidents/${id}/containment/approval`, managers.tomas, { approved: false, reason: 'the jump host serves the payroll run tonight' }),
    ]);
    expect([approval.status, refusal.status].sort()).toEqual([200, 409]);
    const [winner, loser] = approval.status === 200 ? ['maria', 'tomas'] : ['tomas', 'maria'];
    const applied = approval.status === 200 ? approval : refusal;
    const rejected = approval.status === 200 ? refusal : approval;
    expect(rejected.body).toMatchObject({ status: 409, detail: expect.stringMatching(/already/i) });
    expect(applied.body.response.approval).toMatchObject({ by: { name: winner } });

    const entries = await waitFor('both decisions in the audit log', async () => {
      const all = (await auditEntries(id)).filter((e) => e.action === 'approveContainment');
      if (all.length < 2) throw new Error(`${all.length} entries`);
      return all;
    }, 10_000, 200);
    expect(entries.map((e) => [e.actor, e.outcome]).sort()).toEqual([[winner, 'applied'], [loser, 'rejected']].sort());
  });

  it('the same decision sent twice with one Idempotency-Key applies once and both callers get the same answer', async () => {
    const id = await awaitingApproval();
    const headers = { 'Idempotency-Key': uniqueKey('approve') };
    const answers = await Promise.all([
      post(`/v1/incidents/${id}/containment/approval`, managers.maria, { approved: true }, headers),
      post(`/v1/incidents/${id}/containment/approval`, managers.maria, { approved: true }, headers),
    ]);
    expect(answers.map((a) => [a.status, a.status === 200 ? 'ok' : a.body])).toEqual([[200, 'ok'], [200, 'ok']]);
    expect(answers[0].body.response.approval).toEqual(answers[1].body.response.approval);
    const entries = (await auditEntries(id)).filter((e) => e.action === 'approveContainment');
    expect(entries.map((e) => e.outcome)).toEqual(['applied']);
  });

  it('two responders acknowledge at once: one applies, the other gets 409 naming the phase', async () => {
    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'ids', sourceRef: uniqueKey('evt'), title: 'SMB brute force', severity: 'medium', dedupKey: uniqueKey('ack-race') });
    const id = opened.body.incidentId;
    const answers = await Promise.all([post(`/v1/incidents/${id}/acknowledge`, responders.ana, {}), post(`/v1/incidents/${id}/acknowledge`, responders.li, {})]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const applied = answers.find((a) => a.status === 200)!;
    expect(applied.body.acknowledgedBy.name).toMatch(/^(ana|li)$/);
    const entries = await waitFor('both acknowledgements in the audit log', async () => {
      const all = (await auditEntries(id)).filter((e) => e.action === 'acknowledge');
      if (all.length < 2) throw new Error(`${all.length} entries`);
      return all;
    }, 10_000, 200);
    expect(entries.map((e) => e.outcome).sort()).toEqual(['applied', 'rejected']);
  });
});
