import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { startApi } from '../../src/api/api-service';
import { createPool } from '../../src/db/pool';
import { freePort, waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type HttpResponse, type TestStack } from '../support/stack';

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
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'edr', sourceRef: uniqueKey('before'), title: 'Beacon before the outage', severity: 'high', dedupKey: uniqueKey('before') },
    });
    const known: string = opened.body.incidentId;
    await waitFor('the incident in the read model', async () => {
      const { rows } = await stack.db.pool.query('SELECT 1 FROM incidents WHERE incident_id = $1', [known]);
      if (rows.length === 0) throw new Error('not yet');
    }, 10_000, 100);
    // A dismissed incident: its workflow has ended and archived its history in PostgreSQL.
    const noise = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'ids', sourceRef: uniqueKey('noise'), title: 'Scanner noise', severity: 'low', dedupKey: uniqueKey('noise') },
    });
    const dismissed: string = noise.body.incidentId;
    await stack.request('POST', `/v1/incidents/${dismissed}/acknowledge`, { key: stack.keys.responder, body: {} });
    const dismissal = await stack.request('POST', `/v1/incidents/${dismissed}/assessment`, {
      key: stack.keys.manager,
      body: { severity: 'low', category: 'noise', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'known scanner' } },
    });
    expect(dismissal.body.phase).toBe('dismissed');
    await waitFor('the archived history', async () => {
      const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM incident_histories WHERE incident_id = $1', [dismissed]);
      if (rows[0].n < 1) throw new Error('not archived yet');
    }, 20_000, 100);

    await stack.stopWorker();
    await server.stop();
    const body = { source: 'edr', sourceRef: uniqueKey('outage'), title: 'Beacon during outage', severity: 'high', dedupKey: uniqueKey('outage') };

    // The first request after the stop may wait out the client's retries before its 503; once the
    // API's watch has seen the server gone (readyz says so), every request is refused at once.
    const t0 = Date.now();
    const first = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });
    console.info(`outage: the first intake after the stop answered ${first.status} after ${Date.now() - t0} ms`);
    expect(first.status).toBe(503);
    await waitFor('readyz to say since when Temporal is down', async () => {
      const ready = await stack.request('GET', '/readyz');
      if (ready.status !== 503 || !/Temporal \(no answer since \d{4}-/.test(ready.body.detail)) throw new Error(`${ready.status} ${ready.body.detail}`);
    }, 10_000, 100);

    const timed = async (what: string, send: () => Promise<HttpResponse>) => {
      const t = Date.now();
      const res = await send();
      const ms = Date.now() - t;
      console.info(`outage: ${what} answered ${res.status} after ${ms} ms`);
      return { res, ms };
    };
    const refused = await timed('intake', () => stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body }));
    expect(refused.res.status).toBe(503);
    expect(refused.res.headers.get('retry-after')).toBe('5');
    expect(refused.res.body).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringMatching(/Temporal/) });
    const decision = await timed('a decision', () => stack.request('POST', `/v1/incidents/${known}/acknowledge`, { key: stack.keys.manager, body: {} }));
    expect(decision.res.status).toBe(503);
    expect(decision.res.body.detail).toMatch(/Temporal/);
    const read = await timed('a read', () => stack.request('GET', `/v1/incidents/${known}`, { key: stack.keys.manager }));
    expect(read.res.status).toBe(200);
    expect(read.res.headers.get('firebreak-state-source')).toBe('read-model');
    expect(read.res.body.phase).toBe('detected');
    const unknown = await timed('a read of an unknown incident', () => stack.request('GET', '/v1/incidents/0123456789abcdef', { key: stack.keys.manager }));
    expect(unknown.res.status).toBe(503);
    // An auditor still reads an ended incident's timeline, from the archive; an open one's history is only in Temporal.
    const archived = await timed('the timeline of an archived incident', () => stack.request('GET', `/v1/incidents/${dismissed}/timeline`, { key: stack.keys.auditor }));
    expect(archived.res.status).toBe(200);
    expect(archived.res.body.source).toBe('archive');
    expect(archived.res.body.items.some((i: { kind: string; action?: string }) => i.kind === 'decision' && i.action === 'assess')).toBe(true);
    const live = await timed('the timeline of an open incident', () => stack.request('GET', `/v1/incidents/${known}/timeline`, { key: stack.keys.auditor }));
    expect(live.res.status).toBe(503);
    expect(live.res.body.detail).toMatch(/Temporal/);
    // Refused at once: no client retries, no query deadline (those took 5 to 20 s each; these take
    // milliseconds, and the bound leaves room for a loaded machine).
    for (const { ms } of [refused, decision, read, unknown, archived, live]) expect(ms).toBeLessThan(3_000);

    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE source_ref = $1', [body.sourceRef]);
    expect(rows[0].n).toBe(0); // no half-written incident
    const keys = await stack.db.pool.query('SELECT count(*)::int AS n FROM incident_keys WHERE dedup_key = $1', [body.dedupKey]);
    expect(keys.rows[0].n).toBe(0);

    server = await start();
    const t3 = Date.now();
    await waitFor('readyz once Temporal is back', async () => {
      if ((await stack.request('GET', '/readyz')).status !== 200) throw new Error('not ready');
    }, 20_000, 100);
    console.info(`outage: readyz answered 200 ${Date.now() - t3} ms after the server started`);
    await stack.startWorker();
    const accepted = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });
    expect(accepted.status).toBe(202);
    expect(accepted.body.deduplicated).toBe(false);
  }, 90_000);
});

describe('when PostgreSQL is unreachable', () => {
  it('answers 503 with Retry-After, never 500, and logs a warning without a stack trace', async () => {
    const deadPort = await freePort();
    const pool = createPool(`postgres://postgres:postgres@127.0.0.1:${deadPort}/firebreak`);
    const logged: Array<Record<string, unknown>> = [];
    const api = await startApi({
      pool,
      temporalAddress: testEnv('temporalAddress'),
      temporalNamespace: 'default',
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) }),
    });
    try {
      const res = await fetch(`${api.url}/v1/incidents`, { headers: { authorization: `Bearer fbk_0123456789abcdef_${'A'.repeat(43)}` } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ type: '/problems/dependency-unavailable', detail: expect.stringMatching(/PostgreSQL/) });
      const ready = await fetch(`${api.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { detail: string }).detail).toMatch(/PostgreSQL/);
      // An outage is an expected condition: warnings naming the dependency, nothing at error level, no stack.
      const refusal = logged.find((l) => l.msg === 'dependency unavailable');
      expect(refusal).toMatchObject({ level: 40, dependency: 'PostgreSQL' });
      expect(logged.filter((l) => (l.level as number) >= 50)).toEqual([]);
      expect(JSON.stringify(logged)).not.toMatch(/"stack"/);
    } finally {
      await api.close();
      await pool.end();
    }
  });
});
