import { waitFor } from '../../src/net';
import { workflowIdFor } from '../../src/temporal/contract';
import { mapConcurrently } from '../support/concurrency';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('intake', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const send = (body: unknown) => stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });

  it('turns a storm of 5,000 alerts over 50 dedup keys into exactly 50 incidents, and a replay changes nothing', async () => {
    const run = uniqueKey('storm50');
    const alerts = Array.from({ length: 5_000 }, (_, i) => ({
      source: 'siem',
      sourceRef: `${run}-${i}`,
      title: `Impossible travel for user ${i % 50}`,
      severity: 'medium',
      dedupKey: `${run}-key-${i % 50}`,
    }));
    const started = Date.now();
    const answers = await mapConcurrently(alerts, 50, (a) => send(a));
    const seconds = (Date.now() - started) / 1000;
    console.info(`storm: 5000 alerts over 50 keys in ${seconds.toFixed(1)} s, ${Math.round(5000 / seconds)} alerts/s`);
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    expect(answers.filter((a) => !a.body.deduplicated)).toHaveLength(50);
    const incidentIds = new Set(answers.map((a) => a.body.incidentId));
    expect(incidentIds.size).toBe(50);

    const counts = await stack.db.pool.query(
      `SELECT incident_id, count(*)::int AS n FROM alerts WHERE source_ref LIKE $1 GROUP BY incident_id`,
      [`${run}-%`],
    );
    expect(counts.rows).toHaveLength(50);
    expect(counts.rows.every((r) => r.n === 100)).toBe(true);

    // Each workflow counted its 100 alerts.
        for (const id of [...incidentIds].slice(0, 5)) {
      await waitFor(`incident ${id} counting its alerts`, async () => {
        const state = await stack.temporal.workflow.getHandle(workflowIdFor(id)).query<{ alertCount: number }>('state');
        if (state.alertCount !== 100) throw new Error(`alertCount ${state.alertCount}`);
      }, 30_000, 200);
    }

    const replay = await mapConcurrently(alerts, 50, (a) => send(a));
    expect(replay.every((a, i) => a.status === 202 && a.body.deduplicated && a.body.incidentId === answers[i]!.body.incidentId)).toBe(true);
    const total = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE source_ref LIKE $1', [`${run}-%`]);
    expect(total.rows[0].n).toBe(5_000);
    const keys = await stack.db.pool.query('SELECT count(*)::int AS n FROM incident_keys WHERE dedup_key LIKE $1', [`${run}-key-%`]);
    expect(keys.rows[0].n).toBe(50);
  }, 240_000);

  it('opens a new incident for a dedup key whose incident has closed', async () => {
    const dedupKey = uniqueKey('recurring');
    const first = await send({ source: 'ids', sourceRef: uniqueKey('a'), title: 'Scanner noise', severity: 'low', dedupKey });
    const id = first.body.incidentId;
    await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.responder, body: {} });
    const dismissed = await stack.request('POST', `/v1/incidents/${id}/assessment`, {
      key: stack.keys.manager,
      body: { severity: 'low', category: 'noise', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'known scanner' } },
    });
    expect(dismissed.body.phase).toBe('dismissed');
    await waitFor('the workflow to end', async () => {
      const d = await stack.temporal.workflow.getHandle(workflowIdFor(id)).describe();
      if (d.status.name !== 'COMPLETED') throw new Error(d.status.name);
    }, 10_000, 100);

    const [again, twice] = await Promise.all([
      send({ source: 'ids', sourceRef: uniqueKey('b'), title: 'Scanner noise', severity: 'high', dedupKey }),
      send({ source: 'ids', sourceRef: uniqueKey('c'), title: 'Scanner noise', severity: 'high', dedupKey }),
    ]);
    expect(again.status).toBe(202);
    expect(twice.status).toBe(202);
    expect(again.body.incidentId).not.toBe(id);
    expect(twice.body.incidentId).toBe(again.body.incidentId);
    expect([again.body.deduplicated, twice.body.deduplicated].sort()).toEqual([false, true]);
    const reopened = await stack.request('GET', `/v1/incidents/${again.body.incidentId}`, { key: stack.keys.manager });
    expect(reopened.body).toMatchObject({ phase: 'detected', severity: 'high', alertCount: 2 });
    // The old incident is untouched and still readable.
    expect((await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager })).body.phase).toBe('dismissed');
  });

  it('never starts a workflow again under an incident id Temporal no longer holds: the next alert opens a new incident', async () => {
    const dedupKey = uniqueKey('retained');
    const first = await send({ source: 'ids', sourceRef: uniqueKey('a'), title: 'Beaconing', severity: 'low', dedupKey });
    const id = first.body.incidentId;
    const workflowId = workflowIdFor(id);
    // Temporal forgets the workflow, as retention does once an incident has closed (deleting a running one ends it first).
    await stack.temporal.workflowService.deleteWorkflowExecution({ namespace: stack.temporal.options.namespace, workflowExecution: { workflowId } });
    await waitFor('Temporal to forget the workflow', async () => {
      const gone = await stack.temporal.workflow.getHandle(workflowId).describe().then((d) => `still described: ${d.status.name}`, (err) => err?.name === 'WorkflowNotFoundError' || `${err?.name}: ${err?.message}`);
      if (gone !== true) throw new Error(String(gone));
    }, 10_000, 100);

    const next = await send({ source: 'ids', sourceRef: uniqueKey('b'), title: 'Beaconing', severity: 'low', dedupKey });
    expect(next.status).toBe(202);
    expect(next.body).toMatchObject({ deduplicated: false });
    expect(next.body.incidentId).not.toBe(id);
    // The old id stays without a workflow; the alert went to the new incident's.
    await expect(stack.temporal.workflow.getHandle(workflowId).describe()).rejects.toMatchObject({ name: 'WorkflowNotFoundError' });
    const state = await stack.temporal.workflow.getHandle(workflowIdFor(next.body.incidentId)).query<{ alertCount: number }>('state');
    expect(state.alertCount).toBe(1);
    const stored = await stack.db.pool.query('SELECT incident_id FROM alerts WHERE alert_id = $1', [next.body.alertId]);
    expect(stored.rows.map((r) => r.incident_id)).toEqual([next.body.incidentId]);
  });

  it('takes an Alertmanager v4 payload: firing alerts open incidents by fingerprint, resolved ones are recorded', async () => {
    const fingerprint = uniqueKey('fp').replace(/-/g, '');
    const payload = (status: 'firing' | 'resolved') => ({
      version: '4',
      groupKey: '{}:{alertname="HighErrorRate"}',
      truncatedAlerts: 0,
      status,
      receiver: 'firebreak',
      groupLabels: { alertname: 'HighErrorRate' },
      commonLabels: { alertname: 'HighErrorRate', severity: 'critical' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        {
          status,
          labels: { alertname: 'HighErrorRate', severity: 'critical', instance: 'api-3:9100', job: 'api' },
          annotations: { summary: 'API 5xx rate above 5%', description: 'The api job answers 5xx to 7% of requests.' },
          startsAt: '2026-11-27T10:00:00.000Z',
          endsAt: status === 'resolved' ? '2026-11-27T10:30:00.000Z' : '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.example:9090/graph?g0.expr=rate',
          fingerprint,
        },
      ],
    });
    const post = (body: unknown) => stack.request('POST', '/v1/integrations/alertmanager', { key: stack.keys.integration, body });
    const firing = await post(payload('firing'));
    expect(firing.status).toBe(202);
    expect(firing.body.results).toEqual([{ incidentId: expect.any(String), alertId: expect.any(String), deduplicated: false, status: 'firing' }]);
    const id = firing.body.results[0].incidentId;

    // Alertmanager repeats notifications: the same firing alert is recorded once.
    expect((await post(payload('firing'))).body.results[0]).toMatchObject({ incidentId: id, deduplicated: true });

    const resolved = await post(payload('resolved'));
    expect(resolved.body.results[0]).toMatchObject({ incidentId: id, status: 'resolved' });
    const state = await waitFor('the resolved alert', async () => {
      const s = (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager })).body;
      if (s.resolvedAlertCount !== 1) throw new Error('not yet');
      return s;
    }, 10_000, 100);
    expect(state).toMatchObject({ phase: 'detected', severity: 'critical', alertCount: 2, title: 'API 5xx rate above 5%', assets: [{ kind: 'host', id: 'api-3' }] });
    const rows = await stack.db.pool.query('SELECT source, dedup_key FROM alerts WHERE incident_id = $1', [id]);
    expect(rows.rows).toEqual([
      { source: 'alertmanager', dedup_key: fingerprint },
      { source: 'alertmanager', dedup_key: fingerprint },
    ]);
  });

  it('lists incidents from the read model with filters and cursor pagination', async () => {
    const source = uniqueKey('lister').replace(/-/g, '');
    const opened: string[] = [];
    for (let i = 0; i < 7; i++) {
      const res = await send({ source, sourceRef: `l${i}`, title: `Finding ${i}`, severity: i % 2 ? 'high' : 'low', dedupKey: `${source}-${i}` });
      opened.push(res.body.incidentId);
    }
    await waitFor('the read model', async () => {
      const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM incidents WHERE source = $1', [source]);
      if (rows[0].n !== 7) throw new Error(`${rows[0].n} rows`);
    }, 10_000, 100);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/v1/incidents?source=${source}&limit=3${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await stack.request('GET', query, { key: stack.keys.auditor });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { incidentId: string }) => i.incidentId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...opened].sort());

    const high = await stack.request('GET', `/v1/incidents?source=${source}&severity=high&status=detected`, { key: stack.keys.responder });
    expect(high.body.items).toHaveLength(3);
    expect(high.body.items.every((i: { severity: string; phase: string }) => i.severity === 'high' && i.phase === 'detected')).toBe(true);
    const future = await stack.request('GET', `/v1/incidents?source=${source}&openedAfter=2999-01-01T00:00:00Z`, { key: stack.keys.responder });
    expect(future.body).toEqual({ items: [], nextCursor: null });
  });
});
