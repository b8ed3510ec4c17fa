import { waitFor } from '../../src/net';
import { workflowIdFor } from '../../src/temporal/contract';
import { mapConcurrently } from '../support/concurrency';
import { uniqueKey, type HttpResponse } from '../support/stack';
import { ActionReceiver } from './support/action-receiver';
import { startFaultStack, type FaultStack } from './support/fault-stack';

const SECRET = 'fault-suite-webhook-secret';
const OUTAGE_MS = 8_000;

describe('PostgreSQL stops during intake and response stages', () => {
  let receiver: ActionReceiver;
  let stack: FaultStack;
  beforeAll(async () => {
    receiver = await new ActionReceiver(SECRET).start();
    stack = await startFaultStack({ workerEnv: { FIREBREAK_CONTAINMENT_WEBHOOK_URL: receiver.url, FIREBREAK_WEBHOOK_SECRET: SECRET } });
    await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  jest.setTimeout(150_000);

  const post = (path: string, key: string, body: unknown) => stack.request('POST', path, { key, body });

  it('answers intake 503 with Retry-After, retries the stages, and afterwards holds every accepted alert and stage record once', async () => {
    const host = { kind: 'host', id: uniqueKey('fs') };
    const account = { kind: 'account', id: uniqueKey('svc') };
    // The first isolation is held by the containment system until the database is down.
    receiver.script((key) => key.startsWith('contain:') && key.includes(':host:'), ['apply-then-hang']);
    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Ransomware on file server', severity: 'critical', dedupKey: uniqueKey('pg'), assets: [host, account] });
    const id = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {})).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'critical', category: 'ransomware', strategy: 'contain_first', externalAssistance: false })).status).toBe(200);
    await receiver.next((d) => d.action === 'isolate_host');

    // Integrations keep reporting throughout, each retrying a 503 after the Retry-After it was given.
    // Half the alerts are under way when the database stops; the other half start once it is down,
    // so intake meets the outage however fast the first half goes.
    const stormKeys = [uniqueKey('storm'), uniqueKey('storm'), uniqueKey('storm')];
    const alerts = Array.from({ length: 90 }, (_, i) => ({ source: 'ids', sourceRef: uniqueKey(`a${i}`), title: 'Beacon to known C2', severity: 'high', dedupKey: stormKeys[i % stormKeys.length] }));
    const answers: HttpResponse[] = [];
    const report = (batch: typeof alerts) => mapConcurrently(batch, 3, async (alert) => {
      for (;;) {
        const res = await post('/v1/alerts', stack.keys.integration, alert);
        answers.push(res);
        if (res.status === 202) return res.body as { incidentId: string; alertId: string };
        if (res.status !== 503) throw new Error(`intake answered ${res.status}: ${JSON.stringify(res.body)}`);
        await new Promise((resolve) => setTimeout(resolve, Number(res.headers.get('retry-after')) * 1000));
      }
    });
    const before = report(alerts.slice(0, 45));
    await waitFor('some alerts before the outage', async () => {
      if (answers.filter((a) => a.status === 202).length < 10) throw new Error('not yet');
    }, 30_000, 50);

    await stack.stopPostgres();
    const during = report(alerts.slice(45));
    // Containment finishes while the database is down: recording it, and forensics, must wait and retry.
    receiver.release();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await stack.startPostgres();

    const accepted = [...(await before), ...(await during)];
    const refused = answers.filter((a) => a.status === 503);
    console.info(`PostgreSQL outage of ${OUTAGE_MS} ms: ${answers.length} intake answers for ${alerts.length} alerts, ${refused.length} of them 503`);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) {
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(r.body).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringMatching(/PostgreSQL/) });
    }

    // Every accepted alert is stored once, on the incident of its key, and counted once by it.
    const { rows } = await stack.pool.query('SELECT source_ref, incident_id FROM alerts WHERE source_ref = ANY($1)', [alerts.map((a) => a.sourceRef)]);
    expect(rows).toHaveLength(alerts.length);
    expect(new Set(rows.map((r) => r.source_ref)).size).toBe(alerts.length);
    const incidents = new Set(accepted.map((a) => a.incidentId));
    expect(incidents.size).toBe(stormKeys.length);
    for (const incidentId of incidents) {
      const state = (await stack.request('GET', `/v1/incidents/${incidentId}`, { key: stack.keys.auditor })).body;
      expect(state.alertCount).toBe(accepted.filter((a) => a.incidentId === incidentId).length);
    }

    // The stages resumed once the database was back; each record exists once.
    await waitFor('the review phase in the read model', async () => {
      const { rows: [row] } = await stack.pool.query('SELECT phase FROM incidents WHERE incident_id = $1', [id]);
      if (row?.phase !== 'review') throw new Error(String(row?.phase));
    }, 90_000, 500);
    // The outage hit the stages: recording the containment result needed more than one attempt.
    const history = await stack.temporal.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    const retried = history.events?.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1) ?? [];
    expect(retried.length).toBeGreaterThan(0);
    const artifacts = await stack.pool.query('SELECT asset_kind, artifact_type, count(*)::int AS n FROM evidence_artifacts WHERE incident_id = $1 GROUP BY 1, 2', [id]);
    expect(artifacts.rows).toHaveLength(9);
    expect(artifacts.rows.every((r) => r.n === 1)).toBe(true);
    const custody = await stack.pool.query('SELECT count(*)::int AS n FROM custody_entries c JOIN evidence_artifacts a USING (artifact_id) WHERE a.incident_id = $1', [id]);
    expect(custody.rows[0].n).toBe(18);
    const patches = await stack.pool.query('SELECT asset_id, count(*)::int AS n FROM patch_checks WHERE incident_id = $1 GROUP BY 1', [id]);
    expect(patches.rows).toHaveLength(2);
    const keys = receiver.keysByAction();
    expect(Object.keys(keys).sort()).toEqual(['disable_account', 'enable_account', 'isolate_host', 'release_host']);
    for (const list of Object.values(keys)) expect(list).toHaveLength(1);

    // The audit log written through the outage has no gap: its hash chain verifies, each phase once.
    const audit = await stack.request('GET', `/v1/incidents/${id}/audit`, { key: stack.keys.auditor });
    expect(audit.body.verification).toEqual({ valid: true, entries: audit.body.entries.length, problems: [] });
    const phases = audit.body.entries.filter((e: any) => e.action === 'enter_phase').map((e: any) => e.details.phase);
    expect(phases.slice(-3)).toEqual(['triage', 'response', 'review']);
    expect(new Set(phases).size).toBe(phases.length);
  });
});
