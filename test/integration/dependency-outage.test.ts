import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { startApi } from '../../src/api/api-service';
import { createPool } from '../../src/db/pool';
import { freePort } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('when Temporal is unreachable', () => {
  let server: DevServer;
  let stack: TestStack;
  let port: number;
  let dbFile: string;
  const start = () => startDevServer({ cliPath: temporalCliPath(), port, dbFile });

  beforeAll(async () => {
    dbFile = path.join(mkdtempSync(path.join(testEnv('workDir'), 'outage-')), 'temporal.sqlite');
    port = await freePort();
    server = await start();
    stack = await startTestStack({ temporalAddress: server.address });
  });
  afterAll(async () => {
    await stack?.close();
    await server?.stop();
  });

  it('answers 503 with Retry-After, writes nothing, and takes the same alert once Temporal is back', async () => {
    await stack.stopWorker();
    await server.stop();
    const body = { source: 'edr', sourceRef: uniqueKey('outage'), title: 'Beacon during outage', severity: 'high', dedupKey: uniqueKey('outage') };

    const t0 = Date.now();
    const refused = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });
    console.info(`outage: intake answered ${refused.status} after ${Date.now() - t0} ms`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringMatching(/Temporal/) });
    const t1 = Date.now();
    const ready = await stack.request('GET', '/readyz');
    console.info(`outage: readyz answered ${ready.status} after ${Date.now() - t1} ms`);
    expect(ready.status).toBe(503);
    const t2 = Date.now();
    const decision = await stack.request('GET', '/v1/incidents/0123456789abcdef', { key: stack.keys.manager });
    console.info(`outage: query answered ${decision.status} after ${Date.now() - t2} ms`);
    expect(decision.status).toBe(503);
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE source_ref = $1', [body.sourceRef]);
    expect(rows[0].n).toBe(0); // no half-written incident
    const keys = await stack.db.pool.query('SELECT count(*)::int AS n FROM incident_keys WHERE dedup_key = $1', [body.dedupKey]);
    expect(keys.rows[0].n).toBe(0);

    server = await start();
    await stack.startWorker();
    const accepted = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });
    expect(accepted.status).toBe(202);
    expect(accepted.body.deduplicated).toBe(false);
    expect((await stack.request('GET', '/readyz')).status).toBe(200);
  }, 90_000);
});

describe('when PostgreSQL is unreachable', () => {
  it('answers 503 with Retry-After, never 500', async () => {
    const deadPort = await freePort();
    const pool = createPool(`postgres://postgres:postgres@127.0.0.1:${deadPort}/firebreak`);
    const api = await startApi({
      pool,
      temporalAddress: testEnv('temporalAddress'),
      temporalNamespace: 'default',
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'silent' }),
    });
    try {
      const res = await fetch(`${api.url}/v1/incidents`, { headers: { authorization: `Bearer fbk_0123456789abcdef_${'A'.repeat(43)}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringMatching(/PostgreSQL/) });
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { detail: string }).detail).toMatch(/PostgreSQL/);
    } finally {
      await api.close();
      await pool.end();
    }
  });
});
