import { waitFor } from '../../src/net';
import { httpRequest, startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** Issue 13, item 8: integration keys bound to their sources, capped, scoped; approvals bound to the plan seen. */
describe('constrained integration keys', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, key: string, body: unknown) => stack.request('POST', path, { key, body });
  async function issue(body: Record<string, unknown>): Promise<{ keyId: string; token: string }> {
    const res = await post('/v1/admin/keys', stack.keys.admin, { name: uniqueKey('feed'), role: 'integration', ...body });
    expect(res.status).toBe(201);
    return res.body;
  }
  const alert = (source: string, extra: Record<string, unknown> = {}) => ({
    source,
    sourceRef: uniqueKey('ref'),
    title: 'Suspicious login',
    severity: 'low',
    ...extra,
  });
  const incident = (id: string) => stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager });

  it('stores the key that reported each alert and shows it on the incident', async () => {
    const edr = await issue({ sources: ['edr'] });
    const sent = await post('/v1/alerts', edr.token, alert('edr'));
    expect(sent.status).toBe(202);
    const { rows } = await stack.db.pool.query('SELECT key_id FROM alerts WHERE alert_id = $1', [sent.body.alertId]);
    expect(rows).toEqual([{ key_id: edr.keyId }]);
    const state = await waitFor('the alert on the incident', async () => {
      const body = (await incident(sent.body.incidentId)).body;
      if (!body.recentAlerts?.length) throw new Error('no alert yet');
      return body;
    }, 10_000, 100);
    expect(state.recentAlerts[0]).toMatchObject({ alertId: sent.body.alertId, keyId: edr.keyId });
  });

  it('refuses an alert from a source the key is not bound to with 403 naming source, recording nothing', async () => {
    const edr = await issue({ sources: ['edr', 'edr-cloud'] });
    const body = alert('firewall');
    const res = await post('/v1/alerts', edr.token, body);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: '/problems/key-constraint', status: 403, errors: [{ field: 'source', message: expect.stringContaining('edr, edr-cloud') }] });
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE source_ref = $1', [body.sourceRef]);
    expect(rows[0].n).toBe(0);
    expect((await post('/v1/alerts', edr.token, alert('edr-cloud'))).status).toBe(202);
  });

  it('checks every alert of an Alertmanager batch before recording any', async () => {
    const ids = await issue({ sources: ['ids'] });
    const fingerprint = uniqueKey('fp').replace(/-/g, ''); // letters and digits only
    const res = await post('/v1/integrations/alertmanager', ids.token, {
      version: '4',
      groupKey: '{}:{alertname="HighLoad"}',
      status: 'firing',
      receiver: 'firebreak',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example',
      alerts: [
        { status: 'firing', labels: { alertname: 'HighLoad', severity: 'warning' }, annotations: { summary: 'load' }, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint, generatorURL: 'http://p' },
      ],
    });
    // Alertmanager's alerts carry the source `alertmanager`, which this key is not bound to.
    expect(res.status).toBe(403);
    expect(res.body.errors[0].field).toBe('alerts.0.source');
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE key_id = $1', [ids.keyId]);
    expect(rows[0].n).toBe(0);
  });

  it('records an alert above the key’s severity cap at the cap, keeping what was sent in the stored alert', async () => {
    const scanner = await issue({ sources: ['scanner'], maxSeverity: 'medium' });
    const sent = await post('/v1/alerts', scanner.token, alert('scanner', { severity: 'critical' }));
    expect(sent.status).toBe(202);
    expect(sent.body.severityCapped).toEqual({ sent: 'critical', recorded: 'medium' });
    const { rows } = await stack.db.pool.query('SELECT severity, payload FROM alerts WHERE alert_id = $1', [sent.body.alertId]);
    expect(rows[0].severity).toBe('medium');
    expect(rows[0].payload.severity).toBe('critical');
    const state = await waitFor('the incident', async () => (await incident(sent.body.incidentId)).body as { severity: string; recentAlerts: Array<{ severity: string }> }, 10_000, 100);
    expect(state.severity).toBe('medium');
    expect(state.recentAlerts[0]!.severity).toBe('medium');
    // At or below the cap nothing changes.
    const low = await post('/v1/alerts', scanner.token, alert('scanner', { severity: 'low' }));
    expect(low.body.severityCapped).toBeUndefined();
  });

  it('refuses asset kinds the key may not name, with 403 naming the asset', async () => {
    const idp = await issue({ sources: ['idp'], assetKinds: ['account'] });
    const ok = await post('/v1/alerts', idp.token, alert('idp', { assets: [{ kind: 'account', id: 'alice' }] }));
    expect(ok.status).toBe(202);
    const res = await post('/v1/alerts', idp.token, alert('idp', { assets: [{ kind: 'account', id: 'bob' }, { kind: 'host', id: 'dc-01' }] }));
    expect(res.status).toBe(403);
    expect(res.body.errors).toEqual([{ field: 'assets.1.kind', message: expect.stringContaining('not host') }]);
  });

  it('scopes dedup keys to their source unless the key may correlate across sources', async () => {
    const dedupKey = uniqueKey('shared');
    const edr = await issue({ sources: ['edr'] });
    const ids = await issue({ sources: ['ids'] });
    const siem = await issue({ sources: ['edr', 'ids'], correlateAcrossSources: true });

    const fromEdr = await post('/v1/alerts', edr.token, alert('edr', { dedupKey }));
    const fromIds = await post('/v1/alerts', ids.token, alert('ids', { dedupKey }));
    const againEdr = await post('/v1/alerts', edr.token, alert('edr', { dedupKey }));
    expect(fromEdr.body.deduplicated).toBe(false);
    expect(fromIds.body.deduplicated).toBe(false);
    expect(fromIds.body.incidentId).not.toBe(fromEdr.body.incidentId); // another source: another incident
    expect(againEdr.body).toMatchObject({ incidentId: fromEdr.body.incidentId, deduplicated: true });

    // A correlating key joins across sources, as every key issued before scoping does.
    const first = await post('/v1/alerts', siem.token, alert('edr', { dedupKey }));
    const second = await post('/v1/alerts', siem.token, alert('ids', { dedupKey }));
    expect(second.body).toMatchObject({ incidentId: first.body.incidentId, deduplicated: true });
    expect([fromEdr.body.incidentId, fromIds.body.incidentId]).not.toContain(first.body.incidentId);
    const legacy = await post('/v1/alerts', stack.keys.integration, alert('firewall', { dedupKey }));
    expect(legacy.body).toMatchObject({ incidentId: first.body.incidentId, deduplicated: true });
  });

  it('refuses to issue an integration key without sources, or constraints on other roles, naming the field', async () => {
    const unbound = await post('/v1/admin/keys', stack.keys.admin, { name: 'loose', role: 'integration' });
    expect(unbound.status).toBe(400);
    expect(unbound.body.errors).toEqual([{ field: 'sources', message: expect.any(String) }]);
    const person = await post('/v1/admin/keys', stack.keys.admin, { name: 'dana', role: 'manager', maxSeverity: 'low' });
    expect(person.status).toBe(400);
    expect(person.body.errors).toEqual([{ field: 'maxSeverity', message: 'only integration keys report alerts' }]);
  });

  describe('a containment approval bound to the plan the manager saw', () => {
    const manager = () => stack.keys.manager;
    async function awaitingApproval(assets: Array<{ kind: string; id: string }>): Promise<{ id: string; dedupKey: string; state: any }> {
      const dedupKey = uniqueKey('plan');
      const opened = await post('/v1/alerts', stack.keys.integration, alert('edr', { severity: 'high', dedupKey, assets }));
      const id: string = opened.body.incidentId;
      expect((await post(`/v1/incidents/${id}/acknowledge`, manager(), {})).status).toBe(200);
      expect((await post(`/v1/incidents/${id}/assessment`, manager(), { severity: 'high', category: 'intrusion', strategy: 'contain_first', externalAssistance: false })).status).toBe(200);
      const state = await waitFor('the approval wait', async () => {
        const body = (await incident(id)).body;
        if (!body.response?.awaitingApproval) throw new Error('not waiting yet');
        return body;
      }, 20_000, 100);
      return { id, dedupKey, state };
    }

    it('shows the pending plan’s digest and refuses an approval of a plan that has changed since, with 409', async () => {
      const { id, dedupKey, state } = await awaitingApproval([{ kind: 'host', id: uniqueKey('web') }]);
      const seen: string = state.response.pendingPlanDigest;
      expect(seen).toMatch(/^sha256:[0-9a-f]{64}$/);

      // Another alert of the incident brings a second host: the plan now isolates two.
      await post('/v1/alerts', stack.keys.integration, alert('edr', { severity: 'high', dedupKey, assets: [{ kind: 'host', id: uniqueKey('db') }] }));
      const changed = await waitFor('the new plan', async () => {
        const body = (await incident(id)).body;
        if (body.response.pendingPlanDigest === seen) throw new Error('plan unchanged yet');
        return body;
      }, 10_000, 100);

      const stale = await post(`/v1/incidents/${id}/containment/approval`, manager(), { approved: true, planDigest: seen });
      expect(stale.status).toBe(409);
      expect(stale.body.detail).toContain(`it is now ${changed.response.pendingPlanDigest}`);
      expect((await incident(id)).body.response.approval).toBeUndefined();

      const fresh = await post(`/v1/incidents/${id}/containment/approval`, manager(), { approved: true, planDigest: changed.response.pendingPlanDigest });
      expect(fresh.status).toBe(200);
      expect(fresh.body.response.approval).toMatchObject({ approved: true, planDigest: changed.response.pendingPlanDigest });
      expect(fresh.body.response.pendingPlanDigest).toBeUndefined();
    });

    it('still takes an approval without a digest, and records the plan it approved', async () => {
      const { id, state } = await awaitingApproval([{ kind: 'account', id: uniqueKey('svc') }]);
      const approved = await post(`/v1/incidents/${id}/containment/approval`, manager(), { approved: true });
      expect(approved.status).toBe(200);
      expect(approved.body.response.approval.planDigest).toBe(state.response.pendingPlanDigest);
    });

    it('refuses a digest that is not one with 400 naming planDigest', async () => {
      const res = await post(`/v1/incidents/0000000000000000/containment/approval`, manager(), { approved: true, planDigest: 'md5:abc' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('planDigest');
    });
  });

  describe('keys each API replica keeps after authenticating them', () => {
    const send = (url: string, token: string) => httpRequest(url, 'POST', '/v1/alerts', { key: token, body: alert('edr') });
    // A change an API process did not make reaches it as PostgreSQL's notification, sent at commit
    // and heard a moment later: a request in that moment can still pass (once in a fresh-clone CI).
    // Within a second, every request is refused.
    const refusedOnceHeard = (url: string, token: string) =>
      waitFor(
        'the key refused',
        async () => {
          const { status } = await send(url, token);
          if (status !== 401) throw new Error(`answered ${status}`);
        },
        1_000,
        10,
      );

    it('refuses a key revoked through one replica there at once, and on the other as soon as it hears', async () => {
      const replica = await stack.startReplica();
      const feed = await issue({ sources: ['edr'] });
      // Both replicas have authenticated (and so keep) the key.
      for (const url of [stack.api.url, replica.url, stack.api.url, replica.url]) expect((await send(url, feed.token)).status).toBe(202);
      expect((await httpRequest(replica.url, 'DELETE', `/v1/admin/keys/${feed.keyId}`, { key: stack.keys.admin })).status).toBe(204);
      // The replica that revoked it forgets it at once; the other once it hears.
      expect((await send(replica.url, feed.token)).status).toBe(401);
      await refusedOnceHeard(stack.api.url, feed.token);
      expect((await send(stack.api.url, feed.token)).status).toBe(401);
    });

    it('refuses a key whose expiry was moved into the past behind the API’s back as soon as it hears', async () => {
      const feed = await issue({ sources: ['edr'] });
      expect((await send(stack.api.url, feed.token)).status).toBe(202);
      expect((await send(stack.api.url, feed.token)).status).toBe(202);
      await stack.db.ownerPool.query(`UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE key_id = $1`, [feed.keyId]);
      await refusedOnceHeard(stack.api.url, feed.token);
      expect((await send(stack.api.url, feed.token)).status).toBe(401);
    });

    it('keeps nothing while it cannot hear changes: a revocation made then still takes effect at once', async () => {
      const feed = await issue({ sources: ['edr'] });
      expect((await send(stack.api.url, feed.token)).status).toBe(202);
      const listeners = await stack.db.ownerPool.query(
        `SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN firebreak_api_key_changed'`,
      );
      expect(listeners.rowCount).toBeGreaterThan(0);
      // pg_terminate_backend only signals the backend: once it has gone, the API has been sent the end
      // of its connection. Revoked before that, the key would fall in the moment the API cannot know.
      const terminated = listeners.rows.map((r) => r.pid as number);
      await waitFor('the terminated listeners gone', async () => {
        const { rows } = await stack.db.ownerPool.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1)', [terminated]);
        if (rows[0].n > 0) throw new Error(`${rows[0].n} still there`);
      }, 10_000, 20);
      // Revoked while no replica listens: nothing announces it to the API.
      await stack.db.ownerPool.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1', [feed.keyId]);
      expect((await send(stack.api.url, feed.token)).status).toBe(401);
      // Listening again (it reconnects by itself), keys are kept again and still dropped on a change.
      const other = await issue({ sources: ['edr'] });
      await waitFor('the key listener back', async () => {
        const { rows } = await stack.db.ownerPool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN firebreak_api_key_changed'`);
        if (rows[0].n === 0) throw new Error('not listening yet');
      }, 10_000, 50);
      expect((await send(stack.api.url, other.token)).status).toBe(202);
      expect((await send(stack.api.url, other.token)).status).toBe(202);
      expect((await stack.request('DELETE', `/v1/admin/keys/${other.keyId}`, { key: stack.keys.admin })).status).toBe(204);
      expect((await send(stack.api.url, other.token)).status).toBe(401);
    });
  });
});
