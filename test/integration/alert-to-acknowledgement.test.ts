import { IncidentRepository } from '../../src/db/incident-repository';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** HTTP → Express → dev server → worker → PostgreSQL, all real. */
describe('an alert becomes an incident that a responder acknowledges', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  function alert(sourceRef: string, dedupKey: string, extra: Record<string, unknown> = {}) {
    return {
      source: 'edr',
      sourceRef,
      title: 'Credential dumping on web-01',
      severity: 'critical',
      dedupKey,
      assets: [{ kind: 'host', id: 'web-01' }],
      ...extra,
    };
  }

  it('opens one incident per dedup key, records each alert once, and serves its state', async () => {
    const dedupKey = uniqueKey('lsass');
    const first = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert('e-1', dedupKey) });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ incidentId: expect.stringMatching(/^[0-9a-f]{16}$/), alertId: expect.any(String), deduplicated: false });

    const second = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert('e-2', dedupKey) });
    expect(second.status).toBe(202);
    expect(second.body.incidentId).toBe(first.body.incidentId);
    expect(second.body.deduplicated).toBe(true);

    const replay = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert('e-2', dedupKey) });
    expect(replay.body).toEqual({ incidentId: first.body.incidentId, alertId: second.body.alertId, deduplicated: true });

    const { rows } = await stack.db.pool.query('SELECT source_ref FROM alerts WHERE incident_id = $1 ORDER BY source_ref', [first.body.incidentId]);
    expect(rows.map((r) => r.source_ref)).toEqual(['e-1', 'e-2']);

    const state = await stack.request('GET', `/v1/incidents/${first.body.incidentId}`, { key: stack.keys.responder });
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      incidentId: first.body.incidentId,
      phase: 'detected',
      severity: 'critical',
      alertCount: 2,
      escalationLevel: 0,
      nextDeadline: { kind: 'acknowledge' },
    });
    // SEV1: acknowledge within 15 minutes of opening.
    expect(Date.parse(state.body.nextDeadline.dueAt) - Date.parse(state.body.openedAt)).toBe(15 * 60_000);
  });

  it('acknowledges once through an update, answers 409 the second time, and writes the read model', async () => {
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert('a-1', uniqueKey('ack')) });
    const id = opened.body.incidentId;

    const ack = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.responder, body: {} });
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ phase: 'triage', acknowledgedBy: { name: 'test-responder', role: 'responder' } });
    expect(ack.body.phaseEnteredAt.triage).toBe(ack.body.acknowledgedAt);

    const again = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body).toMatchObject({ type: '/problems/decision-rejected', status: 409 });
    expect(again.body.detail).toContain('already acknowledged by test-responder');

    // The update returns after the read-model activity ran, so the row is there now.
    const row = await new IncidentRepository(stack.db.pool).find(id);
    expect(row).toMatchObject({ incidentId: id, phase: 'triage', acknowledgedBy: 'test-responder', alertCount: 1, severity: 'critical' });
  });

  it('names the failing field of a malformed alert in a 400 problem', async () => {
    const bad = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { ...alert('b-1', uniqueKey('bad')), severity: 'urgent', assets: [{ kind: 'toaster', id: 'x' }], colour: 'red' },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.body.type).toBe('/problems/validation-failed');
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['assets.0.kind', 'colour', 'severity']);
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts');
    expect(rows[0].n).toBe(3); // only the alerts of the tests above
  });

  it('rejects bodies that are not JSON objects with 400 or 415', async () => {
    const notJson = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: '{"source":', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.type).toBe('/problems/malformed-json');
    const text = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('answers 401 without a valid key, 403 for the wrong role and 404 for an unknown incident', async () => {
    const none = await stack.request('GET', '/v1/incidents/0000000000000000');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    const forged = await stack.request('GET', '/v1/incidents/0000000000000000', { key: stack.keys.manager.slice(0, -2) + 'xx' });
    expect(forged.status).toBe(401);
    const integration = await stack.request('GET', '/v1/incidents/0000000000000000', { key: stack.keys.integration });
    expect(integration.status).toBe(403);
    const unknown = await stack.request('GET', '/v1/incidents/0000000000000000', { key: stack.keys.auditor });
    expect(unknown.status).toBe(404);
    const ackUnknown = await stack.request('POST', '/v1/incidents/0000000000000000/acknowledge', { key: stack.keys.manager, body: {} });
    expect(ackUnknown.status).toBe(404);
  });
});
