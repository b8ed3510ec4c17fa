import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('preparation: the roster and external assistance', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function open(severity: string): Promise<string> {
    const res = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'edr', sourceRef: uniqueKey('prep'), title: 'Domain admin created at night', severity, dedupKey: uniqueKey('prep') },
    });
    return res.body.incidentId;
  }
  const escalate = (id: string) => stack.request('POST', `/v1/incidents/${id}/escalations`, { key: stack.keys.responder, body: { reason: 'needs more hands' } });
  const paged = async (id: string, level: number) => {
    // Each escalation is a numbered page: `escalation:<id>:<level>:manual:<page>`.
    const { rows } = await stack.db.pool.query(`SELECT action->'people' AS people FROM dry_run_actions WHERE idempotency_key LIKE $1`, [`escalation:${id}:${level}:manual:%`]);
    return rows[0]?.people;
  };

  it('pages the people an admin rostered, read at escalation time so running incidents follow a change', async () => {
    const put = await stack.request('PUT', '/v1/admin/roster/ir_manager', { key: stack.keys.admin, body: { people: ['alice@corp.example', 'bob@corp.example'] } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ target: 'ir_manager', people: ['alice@corp.example', 'bob@corp.example'], updatedBy: 'test-admin' });
    expect((await stack.request('PUT', '/v1/admin/roster/janitor', { key: stack.keys.admin, body: { people: ['x'] } })).status).toBe(404);
    expect((await stack.request('PUT', '/v1/admin/roster/ciso', { key: stack.keys.manager, body: { people: ['x'] } })).status).toBe(403);

    const id = await open('high');
    await escalate(id);
    expect(await paged(id, 1)).toEqual(['alice@corp.example', 'bob@corp.example']);

    // The CISO is rostered only now, while the incident is running.
    await stack.request('PUT', '/v1/admin/roster/ciso', { key: stack.keys.admin, body: { people: ['carol@corp.example'] } });
    await escalate(id);
    expect(await paged(id, 2)).toEqual(['carol@corp.example']);
    // Nobody rostered for the top level: the level itself is addressed.
    await escalate(id);
    expect(await paged(id, 3)).toEqual(['external_assistance']);

    const list = await stack.request('GET', '/v1/admin/roster', { key: stack.keys.admin });
    expect(list.body.items.map((i: { target: string }) => i.target)).toEqual(['ciso', 'ir_manager']);
  });

  it('records external assistance engaged, with its contract or policy reference', async () => {
    const id = await open('critical');
    for (let i = 0; i < 3; i++) await escalate(id);
    const engaged = await stack.request('POST', `/v1/incidents/${id}/external-assistance`, {
      key: stack.keys.manager,
      body: { provider: 'Mandiant IR retainer', reference: 'cyber policy CY-2026-0091' },
    });
    expect(engaged.status).toBe(200);
    expect(engaged.body.externalAssistance).toEqual([
      expect.objectContaining({ provider: 'Mandiant IR retainer', reference: 'cyber policy CY-2026-0091', by: expect.objectContaining({ name: 'test-manager' }) }),
    ]);
    expect(engaged.body.escalationLevel).toBe(3);
  });
});
