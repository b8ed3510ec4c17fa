import { seconds } from '../../src/domain/duration';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import { waitFor } from '../../src/net';
import { uniqueKey } from '../support/stack';
import { startFaultStack, type FaultStack } from './support/fault-stack';
import type { NodeProcess } from './support/node-process';

describe('the Temporal server crashes mid-incident and restarts on the same database file', () => {
  // Long enough for the outage below (a refused decision waits up to 30 s for Temporal) and the
  // restart before it falls due, short enough to watch it fire.
  const policy: PolicyTable = JSON.parse(JSON.stringify(DEFAULT_POLICY));
  policy.high.deadlines.approveContainment = seconds(75);

  let stack: FaultStack;
  let worker: NodeProcess;
  beforeAll(async () => {
    stack = await startFaultStack({ policy });
    worker = await stack.startWorker();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, key: string, body: unknown) => stack.request('POST', path, { key, body });
  const get = (id: string) => stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor });

  jest.setTimeout(150_000);

  it('keeps the incident, its pending approval and its deadline; the deadline fires and the approval still applies', async () => {
    const opened = await post('/v1/alerts', stack.keys.integration, { source: 'siem', sourceRef: uniqueKey('evt'), title: 'Data staged for exfiltration', severity: 'high', dedupKey: uniqueKey('crash'), assets: [{ kind: 'host', id: uniqueKey('db') }] });
    const id = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, stack.keys.manager, {})).status).toBe(200);
    const assessed = await post(`/v1/incidents/${id}/assessment`, stack.keys.manager, { severity: 'high', category: 'data_exfiltration', strategy: 'contain_first', externalAssistance: false });
    expect(assessed.status).toBe(200);
    expect(assessed.body.phase).toBe('response');
    // The workflow waits for the approval, and the read model has caught up, before the crash.
    const pending = await waitFor('the approval wait in the read model', async () => {
      const { rows } = await stack.pool.query('SELECT next_deadline FROM incidents WHERE incident_id = $1', [id]);
      if (rows[0]?.next_deadline?.kind !== 'approveContainment') throw new Error(JSON.stringify(rows[0]));
      return rows[0].next_deadline;
    }, 10_000, 100);

    await stack.crashTemporal();
    // While Temporal is down: decisions are refused with Retry-After, reads come from the read model.
    // Once the API's probe has seen the server gone (readyz names it), the refusal comes at once.
    let t = Date.now();
    await waitFor('readyz to say since when Temporal is down', async () => {
      const ready = await stack.request('GET', '/readyz');
      if (ready.status !== 503 || !/Temporal \(no answer since/.test(ready.body.detail)) throw new Error(`${ready.status}`);
    }, 10_000, 100);
    console.info(`Temporal down: readyz said so ${Date.now() - t} ms after the SIGKILL`);
    t = Date.now();
    const refused = await post(`/v1/incidents/${id}/containment/approval`, stack.keys.manager, { approved: true });
    console.info(`Temporal down: the decision answered ${refused.status} after ${Date.now() - t} ms`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBeTruthy();
    const stale = await get(id);
    expect(stale.status).toBe(200);
    expect(stale.headers.get('firebreak-state-source')).toBe('read-model');
    expect(stale.body).toMatchObject({ phase: 'response', nextDeadline: pending });

    t = Date.now();
    await stack.startTemporal();
    const after = await waitFor('the API to reach the restarted server', async () => {
      const res = await get(id);
      if (res.headers.get('firebreak-state-source') !== 'workflow') throw new Error(`${res.status} ${res.headers.get('firebreak-state-source')}`);
      return res.body;
    }, 60_000, 500);
    console.info(`Temporal restarted and answering the API's query ${Date.now() - t} ms after its start`);
    expect(after).toMatchObject({ phase: 'response', escalationLevel: 0, nextDeadline: pending, openedAt: assessed.body.openedAt });

    // The approval deadline set before the crash fires after it, not earlier and not again.
    const escalated = await waitFor('the approval escalation', async () => {
      const state = (await get(id)).body;
      if (!state.escalations?.some((e: any) => e.cause === 'approveContainment')) throw new Error('not yet');
      return state;
    }, Math.max(Date.parse(pending.dueAt) - Date.now(), 0) + 30_000, 500);
    const approvalEscalations = escalated.escalations.filter((e: any) => e.cause === 'approveContainment');
    expect(approvalEscalations).toHaveLength(1);
    expect(Date.parse(approvalEscalations[0].at)).toBeGreaterThanOrEqual(Date.parse(pending.dueAt));

    // The decision refused during the crash is made again and applies.
    const approved = await post(`/v1/incidents/${id}/containment/approval`, stack.keys.manager, { approved: true });
    expect(approved.status).toBe(200);
    await waitFor('the review phase', async () => {
      const state = (await get(id)).body;
      if (state.phase !== 'review') throw new Error(state.phase);
    }, 30_000, 250);
    // The worker lived through the crash: it reconnected by itself.
    expect(worker.exited).toBe(false);
  });
});
