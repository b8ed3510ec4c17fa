import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { seconds } from '../../src/domain/duration';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import { freePort, waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testEnv } from '../support/servers';
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

describe('an incident survives a Temporal server restart on the same database file', () => {
  // A short acknowledgement deadline so the real server's timer fires within the test.
  const policy: PolicyTable = JSON.parse(JSON.stringify(DEFAULT_POLICY));
  policy.critical.deadlines.acknowledge = seconds(8);

  let server: DevServer;
  let stack: TestStack;
  let dbFile: string;
  let port: number;
  const start = () => startDevServer({ cliPath: temporalCliPath(), port, dbFile, fastSqlite: false });

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(testEnv('workDir'), 'restart-'));
    dbFile = path.join(dir, 'temporal.sqlite');
    port = await freePort();
    server = await start();
    stack = await startTestStack({ temporalAddress: server.address, policy });
  });
  afterAll(async () => {
    await stack?.close();
    await server?.stop();
  });

  it('keeps the incident and fires its acknowledgement deadline after the restart', async () => {
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert(uniqueKey('server-restart')) });
    const id = opened.body.incidentId;
    const before = await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager });
    expect(before.body).toMatchObject({ phase: 'detected', escalationLevel: 0, alertCount: 1 });

    await stack.stopWorker();
    await server.stop();
    server = await start();
    await stack.startWorker();

    // Until the API's connection finds the restarted server, it answers 503 with Retry-After; a client retries.
    const after = await waitFor('the API to reach the restarted server', async () => {
      const res = await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager });
      if (res.status === 503) throw new Error('503');
      return res;
    }, 60_000, 1_000);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ incidentId: id, phase: 'detected', alertCount: 1, openedAt: before.body.openedAt });

    const escalated = await waitFor(
      'the acknowledgement escalation',
      async () => {
        const state = (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager })).body;
        if (state.escalationLevel !== 1) throw new Error(`escalation level ${state.escalationLevel}`);
        return state;
      },
      30_000,
      250,
    );
    expect(escalated.escalations).toEqual([expect.objectContaining({ target: 'ir_manager', cause: 'acknowledge' })]);
    expect(Date.parse(escalated.escalations[0].at)).toBeGreaterThanOrEqual(Date.parse(before.body.nextDeadline.dueAt));
    // The escalation went out through the notifier, exactly once.
    const { rows } = await stack.db.pool.query(
      `SELECT action->>'recipient' AS recipient FROM dry_run_actions WHERE incident_id = $1 ORDER BY recorded_at`,
      [id],
    );
    expect(rows.map((r) => r.recipient)).toEqual(['on_call', 'ir_manager']);
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
