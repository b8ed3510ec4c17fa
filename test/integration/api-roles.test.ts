import type { Role } from '../../src/domain/principal';
import { startTestStack, type TestStack } from '../support/stack';

/** Who may call what: DESIGN.md's table, written out here independently of the route table. */
const MATRIX: Array<{ method: string; path: string; body?: unknown; allowed: Role[] }> = [
  { method: 'POST', path: '/v1/alerts', body: {}, allowed: ['integration'] },
  { method: 'POST', path: '/v1/integrations/alertmanager', body: {}, allowed: ['integration'] },
  { method: 'POST', path: '/v1/incidents', body: {}, allowed: ['manager'] },
  { method: 'GET', path: '/v1/incidents', allowed: ['responder', 'manager', 'auditor'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000', allowed: ['responder', 'manager', 'auditor'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/acknowledge', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/assessment', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/containment/approval', body: {}, allowed: ['manager'] },
  { method: 'PUT', path: '/v1/incidents/0000000000000000/roles/commander', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/escalations', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/notes', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/review', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/close', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/regimes', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/materiality', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/filings', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/external-assistance', body: {}, allowed: ['manager'] },
  { method: 'GET', path: '/v1/admin/roster', allowed: ['admin'] },
  { method: 'GET', path: '/v1/reports/summary', allowed: ['auditor', 'manager'] },
  { method: 'PUT', path: '/v1/admin/roster/ciso', body: {}, allowed: ['admin'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000/timeline', allowed: ['auditor', 'manager'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000/history', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000/audit', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/administration', allowed: ['auditor'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/replay', body: {}, allowed: ['auditor'] },
  { method: 'POST', path: '/v1/admin/keys', body: {}, allowed: ['admin'] },
  { method: 'GET', path: '/v1/admin/keys', allowed: ['admin'] },
  { method: 'DELETE', path: '/v1/admin/keys/0000000000000000', allowed: ['admin'] },
  { method: 'POST', path: '/v1/admin/playbooks', body: {}, allowed: ['admin'] },
  { method: 'GET', path: '/v1/playbooks', allowed: ['responder', 'manager', 'auditor', 'admin'] },
  { method: 'GET', path: '/v1/playbooks/ransomware/versions/1', allowed: ['responder', 'manager', 'auditor', 'admin'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000/tasks', allowed: ['responder', 'manager', 'auditor'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/tasks', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/tasks/adhoc-1/complete', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/tasks/adhoc-1/reassign', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/tasks/adhoc-1/skip', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/tasks/adhoc-1/comments', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/playbook', body: {}, allowed: ['manager'] },
  { method: 'GET', path: '/v1/tasks', allowed: ['responder', 'manager', 'auditor'] },
  { method: 'GET', path: '/v1/incidents/0000000000000000/follow-ups', allowed: ['responder', 'manager', 'auditor'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/follow-ups/follow-up-1/complete', body: {}, allowed: ['responder', 'manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/follow-ups/follow-up-1/reassign', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/follow-ups/follow-up-1/skip', body: {}, allowed: ['manager'] },
  { method: 'POST', path: '/v1/incidents/0000000000000000/follow-ups/follow-up-1/comments', body: {}, allowed: ['responder', 'manager'] },
];
const ROLES: Role[] = ['integration', 'responder', 'manager', 'auditor', 'admin'];

describe('authentication and roles', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const cases = MATRIX.flatMap((route) => ROLES.map((role) => [`${route.method} ${route.path}`, role, route] as const));
  it.each(cases)('%s as %s', async (_name, role, route) => {
    const res = await stack.request(route.method, route.path, { key: stack.keys[role], body: route.body });
    if (route.allowed.includes(role)) {
      expect([401, 403]).not.toContain(res.status);
      expect(res.status).toBeLessThan(500);
    } else {
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ type: '/problems/forbidden', status: 403 });
      expect(res.body.detail).toContain(`role ${role} may not`);
    }
  });

  it.each([
    ['no Authorization header', undefined],
    ['a Basic scheme', 'Basic dXNlcjpwYXNz'],
    ['a malformed key', 'Bearer not-a-key'],
    ['an unknown key', 'Bearer fbk_0123456789abcdef_' + 'A'.repeat(43)],
  ])('answers 401 with WWW-Authenticate for %s', async (_label, authorization) => {
    const res = await stack.request('GET', '/v1/incidents', { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="firebreak", error="invalid_token"');
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('lets an admin issue, list and revoke keys; a revoked key gets 401', async () => {
    const issued = await stack.request('POST', '/v1/admin/keys', { key: stack.keys.admin, body: { name: 'splunk-forwarder', role: 'integration', sources: ['splunk'] } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: 'splunk-forwarder', role: 'integration', token: expect.stringMatching(/^fbk_[0-9a-f]{16}_/) });
    const token: string = issued.body.token;
    // fbk_<16 hex>_<secret>; the base64url secret may itself contain '_'.
    const secret = token.slice('fbk_'.length + 16 + 1);
    expect((await stack.request('GET', '/v1/incidents', { key: token })).status).toBe(403); // authenticated, wrong role

    const list = await stack.request('GET', '/v1/admin/keys', { key: stack.keys.admin });
    expect(list.body.items).toContainEqual(expect.objectContaining({ keyId: issued.body.keyId, name: 'splunk-forwarder', revokedAt: null }));
    expect(JSON.stringify(list.body)).not.toContain(secret); // no secrets in the list
    const stored = await stack.db.pool.query('SELECT secret_hash FROM api_keys WHERE key_id = $1', [issued.body.keyId]);
    expect(stored.rows[0].secret_hash.toString('utf8')).not.toContain(secret);

    expect((await stack.request('DELETE', `/v1/admin/keys/${issued.body.keyId}`, { key: stack.keys.admin })).status).toBe(204);
    expect((await stack.request('DELETE', `/v1/admin/keys/${issued.body.keyId}`, { key: stack.keys.admin })).status).toBe(404);
    const revoked = await stack.request('POST', '/v1/alerts', { key: token, body: {} });
    expect(revoked.status).toBe(401);
  });

  it('takes the acting principal from the key, never from the body', async () => {
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'ids', sourceRef: 'principal-1', title: 'Beacon', severity: 'low', dedupKey: `principal-${Date.now()}` },
    });
    const spoof = await stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, {
      key: stack.keys.responder,
      body: { principal: { name: 'ciso', role: 'admin' } },
    });
    expect(spoof.status).toBe(400); // not a field of the decision
    const ack = await stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
    expect(ack.body.acknowledgedBy).toEqual({ keyId: expect.any(String), name: 'test-responder', role: 'responder' });
  });
});
