import { Client as PgClient } from 'pg';
import { waitFor } from '../../src/net';
import { ApiKeyStore } from '../../src/db/api-key-store';
import { AuditLog } from '../../src/db/audit-log';
import { DenialRegister } from '../../src/db/denial-register';
import { testEnv } from '../support/servers';
import { httpRequest, startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** A connection as the database's owner (the server's superuser), behind the application's back. */
async function ownerOf(stack: TestStack): Promise<PgClient> {
  const database = new URL(stack.db.url).pathname.slice(1);
  const owner = new PgClient({ connectionString: testEnv('postgresAdminUrl').replace(/\/postgres$/, `/${database}`) });
  await owner.connect();
  return owner;
}

/** As if a flush had died after appending and before marking: its windows are to be appended again. */
async function asOwnerUnclaim(stack: TestStack, incidentId: string): Promise<void> {
  const owner = await ownerOf(stack);
  try {
    await owner.query('UPDATE denial_windows SET appended_at = NULL, claimed_at = NULL WHERE incident_id = $1', [incidentId]);
  } finally {
    await owner.end();
  }
}

async function openIncident(stack: TestStack, from: Record<string, string>): Promise<string> {
  const res = await stack.request('POST', '/v1/alerts', {
    key: stack.keys.integration,
    headers: from,
    body: { source: 'ids', sourceRef: uniqueKey('abuse'), title: 'Port scan from 192.0.2.9', severity: 'low', dedupKey: uniqueKey('abuse') },
  });
  expect(res.status).toBe(202);
  return res.body.incidentId;
}

/** The API trusts the loopback proxy, so each test speaks for a client address of its own. */
const client = (address: string) => ({ 'x-forwarded-for': address });

describe('rate limits shared across replicas, and per client address before the key', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      rateLimits: { integration: 60_000, responder: 600, manager: 600, auditor: 5, admin: 120 },
      addressLimits: { requests: 20, failedAuthentications: 3 },
      trustProxy: 'loopback',
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('gives two API instances on one database one budget per key', async () => {
    const replica = await stack.startReplica();
    const from = client('203.0.113.1');
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof httpRequest>> | undefined;
    for (let i = 0; i < 7; i++) {
      // Alternate: A, B, A, B, …
      const res = await httpRequest(i % 2 === 0 ? stack.api.url : replica.url, 'GET', '/v1/incidents', { key: stack.keys.auditor, headers: from });
      statuses.push(res.status);
      if (res.status === 429) refused = res;
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(refused!.body.type).toBe('/problems/rate-limited');
    expect(refused!.body.detail).toMatch(/^this key may make 5 requests a minute; retry in \d+ s$/);
    expect(Number(refused!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another key is not affected, on either instance.
    expect((await httpRequest(replica.url, 'GET', '/v1/incidents', { key: stack.keys.manager, headers: from })).status).toBe(200);
    const { rows } = await stack.db.pool.query(`SELECT points FROM rate_limits WHERE key = 'key-auditor:' || $1`, [stack.keys.auditor.split('_')[1]]);
    expect(rows[0].points).toBe(7);
  });

  it("counts a key's burst of concurrent requests exactly: its budget answered, the rest refused, each counted once", async () => {
    const { token } = await new ApiKeyStore(stack.db.pool).create(uniqueKey('burst-auditor'), 'auditor');
    // Twelve at once, each from an address of its own so that only the key's budget (5) refuses.
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => httpRequest(stack.api.url, 'GET', '/v1/incidents', { key: token, headers: client(`198.51.100.${i + 1}`) })));
    const passed = answers.filter((a) => a.status === 200);
    expect(passed).toHaveLength(5);
    expect(answers.filter((a) => a.status === 429)).toHaveLength(7);
    // Each passed request was told what was left after it: 4, 3, 2, 1, 0 in some order.
    const left = passed.map((a) => Number(/r=(\d+)/.exec(a.headers.get('ratelimit') ?? '')?.[1])).sort();
    expect(left).toEqual([0, 1, 2, 3, 4]);
    const { rows } = await stack.db.pool.query(`SELECT points FROM rate_limits WHERE key = 'key-auditor:' || $1`, [token.split('_')[1]]);
    expect(rows[0].points).toBe(12);
  });

  it('limits each client address before authentication, whatever key it sends', async () => {
    const from = client('203.0.113.2');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await stack.request('GET', '/v1/incidents', { key: stack.keys.manager, headers: from })).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const refused = await stack.request('GET', '/v1/incidents', { key: stack.keys.responder, headers: from });
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatch(/^this address may make 20 requests a minute/);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Without a key too: refused before anyone looks at it.
    expect((await stack.request('GET', '/v1/incidents', { headers: from })).status).toBe(429);
    // Counted in memory, before anything reaches PostgreSQL: a flood from one address costs no database write.
    const rows = async () => (await stack.db.pool.query(`SELECT key FROM rate_limits WHERE key LIKE '%203.0.113.2'`)).rows;
    for (let i = 0; i < 5; i++) expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.manager, headers: from })).status).toBe(429);
    expect(await rows()).toEqual([]);
    // Another address is not affected.
    expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.manager, headers: client('203.0.113.3') })).status).toBe(200);
  });

  it('stops a flood of bad keys from one address before the key lookup', async () => {
    const incidentId = await openIncident(stack, client('203.0.113.9'));
    // A revoked key: its 401s about an incident are counted for the audit chain, once per request that reached the lookup.
    const issued = await stack.request('POST', '/v1/admin/keys', { key: stack.keys.admin, body: { name: 'leaked-laptop', role: 'responder' }, headers: client('203.0.113.9') });
    expect(issued.status).toBe(201);
    expect((await stack.request('DELETE', `/v1/admin/keys/${issued.body.keyId}`, { key: stack.keys.admin, headers: client('203.0.113.9') })).status).toBe(204);

    const from = client('203.0.113.4');
    const ack = () => stack.request('POST', `/v1/incidents/${incidentId}/acknowledge`, { key: issued.body.token, body: {}, headers: from });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await ack()).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429, 429, 429, 429, 429]);
    const refused = await stack.request('GET', '/v1/incidents', { key: stack.keys.manager, headers: from });
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatch(/^this address sent 3 requests with a bad key within a minute/);

    // Only the three that reached the lookup were counted; the seven after them never got that far.
    const { rows } = await stack.db.pool.query('SELECT sum(count)::int AS n FROM denial_windows WHERE incident_id = $1 AND key_id = $2', [incidentId, issued.body.keyId]);
    expect(rows[0].n).toBe(3);
    // Nor did they reach the shared count of the address's failures: they were refused from memory.
    const counted = await stack.db.pool.query(`SELECT key, points FROM rate_limits WHERE key LIKE '%:203.0.113.4' ORDER BY key`);
    expect(counted.rows).toEqual([{ key: 'address-401:203.0.113.4', points: 3 }]);
    // Good keys from other addresses are not affected.
    expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.manager, headers: client('203.0.113.5') })).status).toBe(200);
  });
});

describe('denials aggregated per key, incident and minute; connections reserved for decisions', () => {
  let stack: TestStack;
  /** The clock the API counts denial windows by: moved by the test, never slept on. */
  let now = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 5_000);
  beforeAll(async () => {
    stack = await startTestStack({ denialWindowMs: 60_000, denialClock: () => now, apiPools: { max: 5, reserved: 2 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const deniedEntries = async (incidentId: string) => {
    const audit = await stack.request('GET', `/v1/incidents/${incidentId}/audit`, { key: stack.keys.auditor });
    expect(audit.status).toBe(200);
    expect(audit.body.verification.valid).toBe(true);
    return (audit.body.entries as Array<{ outcome: string; actor: string; action: string; at: string; details: Record<string, any> }>).filter((e) => e.outcome === 'denied');
  };

  it('writes one audit entry with the count for 100 denials in one minute, once the minute has passed', async () => {
    const incidentId = await openIncident(stack, {});
    const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    for (let i = 0; i < 100; i++) {
      const res = await stack.request('POST', `/v1/incidents/${incidentId}/acknowledge`, { key: stack.keys.integration, body: {} });
      expect(res.status).toBe(403);
      if (i === 49) now = new Date(now.getTime() + 30_000); // still the same minute
    }
    expect(await deniedEntries(incidentId)).toEqual([]);

    // The next denial after the minute appends the closed window.
    now = new Date(now.getTime() + 30_000);
    expect((await stack.request('POST', `/v1/incidents/${incidentId}/close`, { key: stack.keys.integration, body: {} })).status).toBe(403);
    const entries = await deniedEntries(incidentId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      actor: 'test-integration',
      action: 'POST /v1/incidents/:id/acknowledge',
      details: {
        count: 100,
        statuses: { 403: 100 },
        actions: { 'POST /v1/incidents/:id/acknowledge': 100 },
        window: { from: windowStart.toISOString(), to: new Date(windowStart.getTime() + 60_000).toISOString() },
      },
    });
    const { rows } = await stack.db.pool.query('SELECT count FROM denial_windows WHERE incident_id = $1 AND appended_at IS NULL', [incidentId]);
    expect(rows).toEqual([{ count: 1 }]);

    // The timeline shows the window as one refused decision, with its count.
    const timeline = await stack.request('GET', `/v1/incidents/${incidentId}/timeline`, { key: stack.keys.auditor });
    const denied = timeline.body.items.filter((i: { outcome: string }) => i.outcome === 'denied');
    expect(denied).toHaveLength(1);
    expect(denied[0].details.count).toBe(100);
  });

  it('counts 401s of a known key per key too, and nothing for an unknown one', async () => {
    const incidentId = await openIncident(stack, {});
    const issued = await stack.request('POST', '/v1/admin/keys', { key: stack.keys.admin, body: { name: 'former-contractor', role: 'manager' } });
    expect((await stack.request('DELETE', `/v1/admin/keys/${issued.body.keyId}`, { key: stack.keys.admin })).status).toBe(204);
    for (let i = 0; i < 3; i++) {
      expect((await stack.request('POST', `/v1/incidents/${incidentId}/close`, { key: issued.body.token, body: {} })).status).toBe(401);
      expect((await stack.request('POST', `/v1/incidents/${incidentId}/close`, { key: `fbk_0123456789abcdef_${'x'.repeat(43)}`, body: {} })).status).toBe(401);
      expect((await stack.request('POST', `/v1/incidents/${incidentId}/notes`, { key: stack.keys.auditor, body: { text: 'hi' } })).status).toBe(403);
    }
    now = new Date(now.getTime() + 60_000);
    expect((await stack.request('POST', `/v1/incidents/${incidentId}/close`, { key: stack.keys.integration, body: {} })).status).toBe(403);
    const entries = await deniedEntries(incidentId);
    expect(entries.map((e) => [e.actor, e.details.count, e.details.statuses])).toEqual(
      expect.arrayContaining([
        ['former-contractor', 3, { 401: 3 }],
        ['test-auditor', 3, { 403: 3 }],
      ]),
    );
    expect(entries).toHaveLength(2);
  });

  it('loses no denial when replicas disagree on the time: a late one counts in the next window', async () => {
    const incidentId = await openIncident(stack, {});
    const windowStart = Math.floor(now.getTime() / 60_000) * 60_000;
    let ahead = new Date(windowStart + 10_000);
    let behind = new Date(windowStart + 10_000);
    const auditLog = new AuditLog(stack.db.pool);
    const replicaA = new DenialRegister(stack.db.pool, auditLog, { now: () => ahead });
    const replicaB = new DenialRegister(stack.db.pool, auditLog, { now: () => behind });
    const denial = { keyId: 'feedfacefeedface', actor: 'scripted', actorRole: 'responder', incidentId, action: 'POST /v1/incidents/:id/close', status: 403 as const };
    const denied = async () =>
      (await auditLog.entries(incidentId)).filter((e) => e.outcome === 'denied').map((e) => [e.details.count, (e.details.window as { from: string }).from]);
    for (let i = 0; i < 4; i++) await replicaA.count(denial);
    // A's clock has passed the minute and appends it; B's is a second behind and still counts in it.
    ahead = new Date(windowStart + 60_500);
    behind = new Date(windowStart + 59_500);
    await replicaA.appendClosed();
    expect(await denied()).toEqual([[4, new Date(windowStart).toISOString()]]);
    await replicaB.count(denial);
    await replicaA.appendClosed();
    expect(await denied()).toHaveLength(1);
    ahead = new Date(windowStart + 120_500);
    await replicaA.appendClosed();
    const both = [
      [4, new Date(windowStart).toISOString()],
      [1, new Date(windowStart + 60_000).toISOString()],
    ];
    expect(await denied()).toEqual(both);
    // A flush that died after appending and before marking leaves its windows to be appended again: still one entry each.
    await asOwnerUnclaim(stack, incidentId);
    await replicaA.appendClosed();
    expect(await denied()).toEqual(both);
  });

  it('keeps connections for decisions while an intake flood holds every other one', async () => {
    const incidentId = await openIncident(stack, {});
    const owner = await ownerOf(stack);
    const watcher = await ownerOf(stack);
    let intake: Array<Promise<number>> = [];
    try {
      // Each alert (with an observable, so each takes a transaction of its own rather than sharing one
      // lookup) waits on this lock, holding its connection: the API's three general connections fill up.
      await owner.query('BEGIN');
      await owner.query('LOCK TABLE alerts IN ACCESS EXCLUSIVE MODE');
      intake = Array.from({ length: 6 }, (_, i) =>
        stack
          .request('POST', '/v1/alerts', {
            key: stack.keys.integration,
            body: { source: 'ids', sourceRef: uniqueKey('flood'), title: 'Flood', severity: 'low', dedupKey: uniqueKey('flood'), observables: [{ kind: 'domain', value: `flood-${i}.example` }] },
          })
          .then((r) => r.status),
      );
      await waitFor('three intake requests holding a connection each', async () => {
        const { rows } = await watcher.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
        if (rows[0].n < 3) throw new Error(`${rows[0].n} waiting`);
      }, 10_000, 50);
      // The general pool is spent: a list (which needs one of its connections) does not answer.
      await expect(fetch(`${stack.api.url}/v1/incidents`, { headers: { authorization: `Bearer ${stack.keys.manager}` }, signal: AbortSignal.timeout(1_000) })).rejects.toThrow();

      // A decision still gets its key looked up, its limits counted, and applies.
      const started = Date.now();
      const ack = await stack.request('POST', `/v1/incidents/${incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
      expect(ack.status).toBe(200);
      expect(ack.body.phase).toBe('triage');
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      await owner.query('ROLLBACK');
      await owner.end();
      await watcher.end();
    }
    // Once the flood drains, intake answers: accepted, or 503 for those that waited past the pool's 5 s.
    for (const status of await Promise.all(intake)) expect([202, 503]).toContain(status);
  });
});
