import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

const alert = (dedupKey: string) => ({ source: 'ids', sourceRef: uniqueKey('ref'), title: 'Lateral movement from db-02', severity: 'critical', dedupKey });

describe('an incident survives a worker restart', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('applies an acknowledgement sent while no worker runs once a new worker starts', async () => {
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert(uniqueKey('worker-restart')) });
    expect(opened.status).toBe(202);
    const id = opened.body.incidentId;
    expect((await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager })).body.phase).toBe('detected');

    await stack.stopWorker();
    const acknowledging = stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} });
    await stack.startWorker();

    const ack = await acknowledging;
    expect(ack.status).toBe(200);
    expect(ack.body).toMatchObject({ phase: 'triage', alertCount: 1, acknowledgedBy: { name: 'test-manager' } });
    const { rows } = await stack.db.pool.query('SELECT phase FROM incidents WHERE incident_id = $1', [id]);
    expect(rows).toEqual([{ phase: 'triage' }]);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight before the API stops', async () => {
    const stack = await startTestStack();
    try {
      const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert(uniqueKey('shutdown')) });
      await stack.stopWorker();
      // The acknowledgement waits for a worker; meanwhile the API is asked to stop.
      const acknowledging = stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, { key: stack.keys.manager, body: {} });
      await new Promise((r) => setTimeout(r, 300));
      let closed = false;
      const closing = stack.api.close().then(() => (closed = true));
      await new Promise((r) => setTimeout(r, 300));
      expect(closed).toBe(false); // still draining
      await stack.startWorker();
      const ack = await acknowledging;
      expect(ack.status).toBe(200);
      await closing;
      expect(closed).toBe(true);
      await expect(fetch(`${stack.api.url}/healthz`)).rejects.toThrow(); // no longer listening
    } finally {
      await stack.stopWorker();
      await stack.db.drop();
    }
  });
});
