import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('observables', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const as = (role: keyof TestStack['keys']) => stack.keys[role];
  const alert = (fields: Record<string, unknown>) =>
    stack.request('POST', '/v1/alerts', {
      key: as('integration'),
      body: { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Beacon to a known C2', severity: 'high', dedupKey: uniqueKey('obs'), ...fields },
    });
  const get = (path: string, role: keyof TestStack['keys'] = 'manager') => stack.request('GET', path, { key: as(role) });
  const auditActions = async (id: string) => (await get(`/v1/incidents/${id}/audit`, 'auditor')).body.entries.map((e: { action: string; actor: string; outcome: string }) => `${e.action}:${e.actor}:${e.outcome}`);
  /** A value no other test (or earlier run on the shared servers) uses, so correlation sees only this test's incidents. */
  const uniqueDomain = () => `${uniqueKey('c2').toLowerCase()}.example`;
  const dedupKeyOf = async (id: string) => (await stack.db.pool.query('SELECT dedup_key FROM incident_keys WHERE incident_id = $1', [id])).rows[0].dedup_key as string;

  it('records an alert’s observables normalised in the table, on the incident once each, and answers both reads', async () => {
    const c2 = uniqueDomain();
    const first = await alert({
      observables: [
        { kind: 'domain', value: c2.toUpperCase().replace(/\./g, '[.]') },
        { kind: 'ipv6', value: '2001:DB8:0:0:0:0:0:7' },
        { kind: 'url', value: `hxxps://${c2}/stage2`, tlp: 'TLP:RED' },
        { kind: 'domain', value: `${c2}.` },
      ],
    });
    expect(first.status).toBe(202);
    const id = first.body.incidentId;

    const { rows } = await stack.db.pool.query('SELECT kind, value, tlp, alert_id, first_seen, last_seen FROM observables WHERE incident_id = $1 ORDER BY kind, value', [id]);
    expect(rows.map((r) => [r.kind, r.value, r.tlp, r.alert_id])).toEqual([
      ['domain', c2, 'amber', first.body.alertId],
      ['ipv6', '2001:db8::7', 'amber', first.body.alertId],
      ['url', `https://${c2}/stage2`, 'red', first.body.alertId],
    ]);

    // The same domain in a later alert of the incident, written another way, moves last seen and nothing else.
    const repeat = await alert({ dedupKey: await dedupKeyOf(id), observables: [{ kind: 'domain', value: c2.replace('.', '(.)') }] });
    expect(repeat.body).toMatchObject({ incidentId: id, deduplicated: true });
    // Another incident saw it too.
    const elsewhere = await alert({ observables: [{ kind: 'domain', value: c2.toUpperCase() }] });
    expect(elsewhere.body.incidentId).not.toBe(id);

    const listed = await get(`/v1/incidents/${id}/observables`, 'auditor');
    expect(listed.status).toBe(200);
    expect(listed.body.incidentId).toBe(id);
    const domain = listed.body.items.find((o: { kind: string }) => o.kind === 'domain');
    expect(listed.body.items).toHaveLength(3);
    expect(domain).toMatchObject({ value: c2, tlp: 'amber', alertId: first.body.alertId, addedBy: null });
    expect(Date.parse(domain.lastSeen)).toBeGreaterThan(Date.parse(domain.firstSeen));

    await waitFor('the incident to hold its observables', async () => {
      const state = (await get(`/v1/incidents/${id}`)).body;
      if (state.alertCount !== 2) throw new Error(`alertCount ${state.alertCount}`);
      expect(state.observables).toHaveLength(3);
      expect(state.observables.filter((o: { value: string }) => o.value === c2)).toEqual([
        expect.objectContaining({ kind: 'domain', firstSeen: domain.firstSeen, lastSeen: domain.lastSeen, alertId: first.body.alertId }),
      ]);
    }, 15_000);

    // The search normalises the query as intake did: defanged and upper-case find the same value.
    const search = await get(`/v1/observables?kind=domain&value=${encodeURIComponent(c2.toUpperCase().replace(/\./g, '[.]'))}`, 'responder');
    expect(search.status).toBe(200);
    expect(search.body).toMatchObject({ kind: 'domain', value: c2 });
    expect(search.body.items.map((i: { incidentId: string }) => i.incidentId).sort()).toEqual([elsewhere.body.incidentId, id].sort());
    expect(search.body.items.find((i: { incidentId: string }) => i.incidentId === id)).toMatchObject({ title: 'Beacon to a known C2', phase: 'detected', severity: 'high' });
    expect((await get(`/v1/observables?kind=ipv6&value=${encodeURIComponent('2001:db8::7')}`)).body.items.map((i: { incidentId: string }) => i.incidentId)).toContain(id);
    expect((await get('/v1/observables?kind=ipv4&value=192.0.2.254')).body.items).toEqual([]);
  });

  it('lets a responder add an observable through an audited decision, kept in the table with who added it', async () => {
    const opened = await alert({});
    const id = opened.body.incidentId;
    const hash = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855';
    const add = (body: unknown, role: keyof TestStack['keys'] = 'responder') => stack.request('POST', `/v1/incidents/${id}/observables`, { key: as(role), body });

    const added = await add({ kind: 'sha256', value: hash, tlp: 'amber+strict' });
    expect(added.status).toBe(200);
    expect(added.body.observables).toEqual([expect.objectContaining({ kind: 'sha256', value: hash.toLowerCase(), tlp: 'amber+strict', addedBy: 'test-responder' })]);
    const { rows } = await stack.db.pool.query('SELECT value, tlp, added_by, alert_id FROM observables WHERE incident_id = $1', [id]);
    expect(rows).toEqual([{ value: hash.toLowerCase(), tlp: 'amber+strict', added_by: 'test-responder', alert_id: null }]);
    expect((await get(`/v1/incidents/${id}/observables`)).body.items).toEqual([expect.objectContaining({ kind: 'sha256', addedBy: 'test-responder', alertId: null })]);

    // The same value again is refused with the reason, and the refusal is audited too.
    const twice = await add({ kind: 'sha256', value: hash.toLowerCase() });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toBe(`sha256 ${hash.toLowerCase()} is already on incident ${id} (first seen ${added.body.observables[0].firstSeen})`);
    expect(await auditActions(id)).toEqual(expect.arrayContaining(['addObservable:test-responder:applied', 'addObservable:test-responder:rejected']));

    const bad = await add({ kind: 'sha256', value: 'abc' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.body.errors).toEqual([{ field: 'value', message: 'a SHA-256 is 64 hexadecimal digits; this has 3' }]);
    expect((await add({ kind: 'md5', value: '0'.repeat(32) }, 'integration')).status).toBe(403);

    const timeline = (await get(`/v1/incidents/${id}/timeline`, 'auditor')).body.items;
    expect(timeline).toContainEqual(expect.objectContaining({ kind: 'decision', action: 'addObservable', actor: 'test-responder', outcome: 'applied', details: { kind: 'sha256', value: hash.toLowerCase(), tlp: 'amber+strict' } }));
  });

  it('relates two open incidents that saw the same value, on both sides, audited and in both timelines; a dismissed one is left out', async () => {
    const ip = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const shared = uniqueDomain();
    // A dismissed incident saw the value first: it is closed to correlation.
    const old = await alert({ observables: [{ kind: 'domain', value: shared }] });
    await stack.request('POST', `/v1/incidents/${old.body.incidentId}/acknowledge`, { key: as('responder'), body: {} });
    const dismissed = await stack.request('POST', `/v1/incidents/${old.body.incidentId}/assessment`, {
      key: as('manager'),
      body: { severity: 'low', category: 'noise', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'sinkholed test domain' } },
    });
    expect(dismissed.body.phase).toBe('dismissed');
    await waitFor('the read model to show it dismissed', async () => {
      const { rows } = await stack.db.pool.query('SELECT phase FROM incidents WHERE incident_id = $1', [old.body.incidentId]);
      if (rows[0]?.phase !== 'dismissed') throw new Error(rows[0]?.phase);
    }, 10_000);

    const a = await alert({ observables: [{ kind: 'domain', value: shared }, { kind: 'ipv4', value: ip }] });
    const b = await alert({ title: 'Phishing landing page', observables: [{ kind: 'ipv4', value: ip.replace(/\./g, '[.]') }, { kind: 'domain', value: shared.toUpperCase() }] });
    const [idA, idB] = [a.body.incidentId, b.body.incidentId];
    expect(idA).not.toBe(idB);

    const relations = (id: string) => get(`/v1/incidents/${id}`).then((r) => r.body.relatedIncidents ?? []);
    await waitFor('both incidents to record the relation', async () => {
      for (const [self, other] of [[idA, idB], [idB, idA]] as const) {
        const related = await relations(self);
        expect(related.map((r: { incidentId: string; kind: string; value: string }) => `${r.incidentId} ${r.kind} ${r.value}`).sort()).toEqual([`${other} domain ${shared}`, `${other} ipv4 ${ip}`]);
        expect(related[0]).toMatchObject({ alertId: b.body.alertId });
      }
    }, 15_000);
    // The dismissed incident neither gains the relation nor is named by the open ones.
    expect((await get(`/v1/incidents/${old.body.incidentId}`)).body.relatedIncidents).toBeUndefined();

    for (const id of [idA, idB]) {
      await waitFor(`the relation in ${id}'s audit log`, async () => {
        expect(await auditActions(id)).toContain('relate_incident:firebreak:recorded');
      }, 10_000);
      const timeline = (await get(`/v1/incidents/${id}/timeline`, 'auditor')).body.items;
      expect(timeline).toContainEqual(expect.objectContaining({ kind: 'correlation', action: 'related_incident', details: expect.objectContaining({ incidentId: id === idA ? idB : idA, alertId: b.body.alertId }) }));
    }

    // A further alert with the same values relates nothing again.
    await alert({ dedupKey: await dedupKeyOf(idB), observables: [{ kind: 'ipv4', value: ip }] });
    await waitFor('the third alert counted', async () => {
      if ((await get(`/v1/incidents/${idB}`)).body.alertCount !== 2) throw new Error('not yet');
    }, 10_000);
    expect(await relations(idB)).toHaveLength(2);
    expect((await auditActions(idB)).filter((a: string) => a.startsWith('relate_incident'))).toHaveLength(1);
    expect((await get(`/v1/incidents/${idB}/timeline`, 'auditor')).body.items.filter((i: { kind: string }) => i.kind === 'correlation')).toHaveLength(1);
  });

  it('answers 400 problem+json naming the field and the reason for a bad observable', async () => {
    const bad = await alert({
      observables: [
        { kind: 'ipv4', value: '192.0.2.1' },
        { kind: 'domain', value: 'example.com' },
        { kind: 'ipv4', value: '192.0.2.300' },
        { kind: 'hash', value: 'abc' },
        { kind: 'cve', value: 'CVE-2024-1', tlp: 'TLP:PURPLE' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(bad.body.type).toBe('/problems/validation-failed');
    const fields = Object.fromEntries(bad.body.errors.map((e: { field: string; message: string }) => [e.field, e.message]));
    expect(fields['observables.2.value']).toBe('is not an IPv4 address (four decimal numbers 0-255, e.g. 192.0.2.1)');
    expect(fields['observables.3.kind']).toMatch(/Invalid option/);
    expect(fields['observables.4.tlp']).toMatch(/Invalid option/);
    expect(bad.body.detail).toContain('observables.2.value: is not an IPv4 address');

    const query = await get('/v1/observables?kind=ipv4&value=999.1.1.1');
    expect(query.status).toBe(400);
    expect(query.body.errors).toEqual([{ field: 'value', message: 'is not an IPv4 address (four decimal numbers 0-255, e.g. 192.0.2.1)' }]);
    expect((await get('/v1/observables?kind=ip&value=1.2.3.4')).body.errors[0].field).toBe('kind');
    expect((await get('/v1/observables?kind=ipv4')).status).toBe(400);
    expect((await get('/v1/incidents/0000000000000000/observables')).status).toBe(404);
  });

  it('keeps Alertmanager labels on the alert within the incident', async () => {
    const fingerprint = uniqueKey('fp').replace(/-/g, '');
    const res = await stack.request('POST', '/v1/integrations/alertmanager', {
      key: as('integration'),
      body: {
        version: '4',
        groupKey: '{}:{alertname="NodeDown"}',
        status: 'firing',
        receiver: 'firebreak',
        groupLabels: { alertname: 'NodeDown' },
        commonLabels: {},
        commonAnnotations: {},
        externalURL: 'http://alertmanager.example:9093',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'NodeDown', instance: 'db-7:9100', job: 'node', severity: 'critical', datacenter: 'fra1' },
            annotations: { summary: 'db-7 is down' },
            startsAt: '2026-11-27T10:00:00.000Z',
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: '',
            fingerprint,
          },
        ],
      },
    });
    expect(res.status).toBe(202);
    const id = res.body.results[0].incidentId;
    await waitFor('the alert on the incident', async () => {
      const state = (await get(`/v1/incidents/${id}`)).body;
      expect(state.recentAlerts).toEqual([
        expect.objectContaining({ title: 'db-7 is down', labels: { alertname: 'NodeDown', instance: 'db-7:9100', job: 'node', severity: 'critical', datacenter: 'fra1' } }),
      ]);
    }, 10_000);
  });
});
