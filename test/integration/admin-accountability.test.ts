import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** Issue 13, item 9: keys and roster changes in the audit chain, expiry and last use, the last admin, admin reads nothing of incidents. */
describe('accountable admins', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const request = (method: string, path: string, key: string, body?: unknown) => stack.request(method, path, { key, body });
  const adminChain = () => request('GET', '/v1/audit/administration', stack.keys.auditor);
  const keyOf = async (keyId: string) => (await request('GET', '/v1/admin/keys', stack.keys.admin)).body.items.find((k: { keyId: string }) => k.keyId === keyId);
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('records issuing and revoking keys and roster changes in the administration chain, which auditors read and verify', async () => {
    const name = uniqueKey('soc-bot');
    const issued = await request('POST', '/v1/admin/keys', stack.keys.admin, { name, role: 'integration', sources: ['edr'], maxSeverity: 'high' });
    expect(issued.status).toBe(201);
    expect((await request('DELETE', `/v1/admin/keys/${issued.body.keyId}`, stack.keys.admin)).status).toBe(204);
    expect((await request('PUT', '/v1/admin/roster/ciso', stack.keys.admin, { people: ['carol@corp.example'] })).status).toBe(200);
    expect((await request('PUT', '/v1/admin/roster/ciso', stack.keys.admin, { people: ['erin@corp.example'] })).status).toBe(200);

    const chain = await adminChain();
    expect(chain.status).toBe(200);
    expect(chain.body.verification).toMatchObject({ valid: true });
    const mine = chain.body.entries.filter((e: { details: { issued?: { keyId: string }; revoked?: { keyId: string }; target?: string } }) =>
      e.details.issued?.keyId === issued.body.keyId || e.details.revoked?.keyId === issued.body.keyId || e.details.target === 'ciso',
    );
    expect(mine).toEqual([
      expect.objectContaining({
        action: 'issue_key', actor: 'test-admin', actorRole: 'admin', outcome: 'applied',
        details: expect.objectContaining({ issued: expect.objectContaining({ keyId: issued.body.keyId, name, role: 'integration', sources: ['edr'], maxSeverity: 'high', correlateAcrossSources: false }) }),
      }),
      expect.objectContaining({ action: 'revoke_key', actor: 'test-admin', details: expect.objectContaining({ revoked: { keyId: issued.body.keyId, role: 'integration' } }) }),
      expect.objectContaining({ action: 'set_roster', details: expect.objectContaining({ target: 'ciso', before: [], people: ['carol@corp.example'] }) }),
      expect.objectContaining({ action: 'set_roster', details: expect.objectContaining({ target: 'ciso', before: ['carol@corp.example'], people: ['erin@corp.example'] }) }),
    ]);
    // Sequence numbers follow each other and each entry links to the one before.
    const seqs = chain.body.entries.map((e: { seq: number }) => e.seq);
    expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
    // No secret of the issued key is in the chain.
    expect(JSON.stringify(chain.body)).not.toContain(issued.body.token.slice(22));
    // Admins do not read their own record.
    expect((await request('GET', '/v1/audit/administration', stack.keys.admin)).status).toBe(403);
  });

  it('gives an expired key 401, and shows each key’s expiry and last use, written at most once a minute', async () => {
    const past = await request('POST', '/v1/admin/keys', stack.keys.admin, { name: 'too-late', role: 'auditor', expiresAt: '2020-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.errors).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);

    const expiresAt = new Date(Date.now() + 2_000).toISOString();
    const shortLived = await request('POST', '/v1/admin/keys', stack.keys.admin, { name: uniqueKey('contractor'), role: 'auditor', expiresAt });
    expect(shortLived.status).toBe(201);
    expect(shortLived.body.expiresAt).toBe(expiresAt);
    expect(await keyOf(shortLived.body.keyId)).toMatchObject({ expiresAt, lastUsedAt: null, createdBy: 'test-admin' });

    expect((await request('GET', '/v1/incidents', shortLived.body.token)).status).toBe(200);
    const firstUse = (await keyOf(shortLived.body.keyId)).lastUsedAt;
    expect(firstUse).not.toBeNull();
    expect((await request('GET', '/v1/incidents', shortLived.body.token)).status).toBe(200);
    expect((await keyOf(shortLived.body.keyId)).lastUsedAt).toBe(firstUse); // within the minute: not written again

    await sleep(Date.parse(expiresAt) - Date.now() + 100);
    const expired = await request('GET', '/v1/incidents', shortLived.body.token);
    expect(expired.status).toBe(401);
    expect(expired.body.detail).toContain('expired');
  });

  it('refuses to revoke the last admin key that works with 409 saying why; an expired admin key does not count', async () => {
    const second = await request('POST', '/v1/admin/keys', stack.keys.admin, { name: uniqueKey('second-admin'), role: 'admin' });
    // With another admin key working, one of the two may go.
    expect((await request('DELETE', `/v1/admin/keys/${second.body.keyId}`, stack.keys.admin)).status).toBe(204);

    const fading = await request('POST', '/v1/admin/keys', stack.keys.admin, { name: uniqueKey('fading-admin'), role: 'admin', expiresAt: new Date(Date.now() + 1_000).toISOString() });
    expect(fading.status).toBe(201);
    await sleep(1_200);

    const ownKeyId = (await request('GET', '/v1/admin/keys', stack.keys.admin)).body.items.find((k: { name: string }) => k.name === 'test-admin').keyId;
    const last = await request('DELETE', `/v1/admin/keys/${ownKeyId}`, stack.keys.admin);
    expect(last.status).toBe(409);
    expect(last.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(last.body).toMatchObject({ type: '/problems/last-admin-key', detail: expect.stringContaining('last admin key') });
    expect((await request('GET', '/v1/admin/keys', stack.keys.admin)).status).toBe(200); // still works
    const chain = await adminChain();
    expect(chain.body.entries.some((e: { action: string; details: { revoked?: { keyId: string } } }) => e.action === 'revoke_key' && e.details.revoked?.keyId === ownKeyId)).toBe(false);
  });

  it('keeps admins out of incidents: 403 on incident, timeline, audit, report, task and observable reads', async () => {
    const opened = await request('POST', '/v1/alerts', stack.keys.integration, { source: 'edr', sourceRef: uniqueKey('adm'), title: 'Beacon', severity: 'low', dedupKey: uniqueKey('adm') });
    const id: string = opened.body.incidentId;
    for (const path of [
      '/v1/incidents',
      `/v1/incidents/${id}`,
      `/v1/incidents/${id}/timeline`,
      `/v1/incidents/${id}/audit`,
      `/v1/incidents/${id}/history`,
      `/v1/incidents/${id}/tasks`,
      `/v1/incidents/${id}/observables`,
      `/v1/incidents/${id}/follow-ups`,
      '/v1/tasks',
      '/v1/observables?kind=domain&value=evil.example',
      '/v1/reports/summary',
    ]) {
      const res = await request('GET', path, stack.keys.admin);
      expect([path, res.status]).toEqual([path, 403]);
      expect(res.body.type).toBe('/problems/forbidden');
    }
    // The same reads work for a reader; playbooks, which admins store, they still read.
    expect((await request('GET', `/v1/incidents/${id}`, stack.keys.auditor)).status).toBe(200);
    expect((await request('GET', '/v1/playbooks', stack.keys.admin)).status).toBe(200);
  });

  // Last: one of the suite's admin keys may be gone afterwards.
  it('lets only one of two admins revoking each other at once succeed, so one admin key always remains', async () => {
    const keys = (await request('GET', '/v1/admin/keys', stack.keys.admin)).body.items as Array<{ keyId: string; name: string; role: string; revokedAt: string | null }>;
    const ownKeyId = keys.find((k) => k.name === 'test-admin')!.keyId;
    const other = await request('POST', '/v1/admin/keys', stack.keys.admin, { name: uniqueKey('other-admin'), role: 'admin' });
    const [first, second] = await Promise.all([
      request('DELETE', `/v1/admin/keys/${other.body.keyId}`, stack.keys.admin),
      request('DELETE', `/v1/admin/keys/${ownKeyId}`, other.body.token),
    ]);
    expect([first.status, second.status].sort()).toEqual([204, 409]);
    const remaining = (await request('GET', '/v1/admin/keys', first.status === 204 ? stack.keys.admin : other.body.token)).body.items.filter(
      (k: { role: string; revokedAt: string | null; expiresAt: string | null }) => k.role === 'admin' && k.revokedAt === null && (k.expiresAt === null || Date.parse(k.expiresAt) > Date.now()),
    );
    expect(remaining).toHaveLength(1);
  });
});
