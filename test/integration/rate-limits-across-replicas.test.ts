import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_RATE_LIMITS } from '../../src/api/rate-limit';
import { ApiKeyStore } from '../../src/db/api-key-store';
import { freePort } from '../../src/net';
import { spawnFromBuild, type NodeProcess } from '../faults/support/node-process';
import { freshDatabase, type TestDatabase } from '../support/database';
import { TEST_DECISION_ENV } from '../support/decision-keys';
import { testEnv } from '../support/servers';
import { httpRequest } from '../support/stack';

/**
 * Two API replicas as production runs them: two processes of `dist/src/api/server.js` on one
 * database, with the default limits. A key's budget is one budget however its requests are spread.
 */
describe('rate limits across two API processes', () => {
  let db: TestDatabase;
  let logs: string;
  const replicas: Array<{ process: NodeProcess; url: string }> = [];

  beforeAll(async () => {
    db = await freshDatabase();
    logs = mkdtempSync(path.join(os.tmpdir(), 'firebreak-replicas-'));
    for (const name of ['a', 'b']) {
      const port = await freePort();
      const env = {
        ...TEST_DECISION_ENV,
        DATABASE_URL: db.url,
        TEMPORAL_ADDRESS: testEnv('temporalAddress'),
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
      };
      replicas.push({ process: await spawnFromBuild('src/api/server.js', [], env, { logFile: path.join(logs, `api-${name}.log`), readyMarker: 'API listening' }), url: `http://127.0.0.1:${port}` });
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.process.kill('SIGTERM');
    await db?.drop();
    if (logs) rmSync(logs, { recursive: true, force: true });
  });

  it("gives a key its role's budget in total, not once per process", async () => {
    const limit = DEFAULT_RATE_LIMITS.admin;
    const keys = new ApiKeyStore(db.pool);
    const admin = (await keys.create('replica-admin', 'admin')).token;
    const statuses: number[] = [];
    // Alternate: a, b, a, b, … Half the budget each, then both refuse.
    for (let i = 0; i < limit + 30; i++) statuses.push((await httpRequest(replicas[i % 2]!.url, 'GET', '/v1/admin/keys', { key: admin })).status);
    expect(statuses.slice(0, limit).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(limit)).toEqual(Array.from({ length: 30 }, () => 429));

    const refused = await httpRequest(replicas[1]!.url, 'GET', '/v1/admin/keys', { key: admin });
    expect(refused.status).toBe(429);
    expect(refused.body.detail).toMatch(new RegExp(`^this key may make ${limit} requests a minute; retry in \\d+ s$`));
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const { rows } = await db.pool.query(`SELECT points FROM rate_limits WHERE key = 'key-admin:' || $1`, [admin.split('_')[1]]);
    expect(rows[0].points).toBe(limit + 31);

    // Another key of the same role has a budget of its own, on either process.
    const other = (await keys.create('replica-admin-2', 'admin')).token;
    for (const r of replicas) expect((await httpRequest(r.url, 'GET', '/v1/admin/keys', { key: other })).status).toBe(200);
  });
});
