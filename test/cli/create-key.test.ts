import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freshDatabase, type TestDatabase } from '../support/database';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** `create-key` from the build, as an operator runs it: the key's limits, and an audit entry naming the operator. */
describe('create-key issues constrained keys and audits them', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const createKey = (...args: string[]) =>
    run('node', [path.join(ROOT, 'dist/src/cli/create-key.js'), ...args], { cwd: ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: db.url } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('binds an integration key to its sources and caps, and records who issued it in the administration chain', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const issued = await createKey('edr-feed', 'integration', '--sources', 'edr,edr-cloud', '--max-severity', 'high', '--asset-kinds', 'host', '--expires-at', expiresAt);
    expect(issued.code).toBe(0);
    expect(issued.stdout.trim()).toMatch(/^fbk_[0-9a-f]{16}_/);
    const keyId = issued.stdout.trim().slice(4, 20);

    const { rows } = await db.pool.query('SELECT sources, correlate_across_sources, max_severity, asset_kinds, expires_at, created_by FROM api_keys WHERE key_id = $1', [keyId]);
    const operator = `command line: ${userInfo().username}`;
    expect(rows[0]).toMatchObject({ sources: ['edr', 'edr-cloud'], correlate_across_sources: false, max_severity: 'high', asset_kinds: ['host'], created_by: operator });
    expect(rows[0].expires_at.toISOString()).toBe(expiresAt);

    const audit = await db.pool.query(`SELECT actor, actor_role, action, details FROM audit_log WHERE incident_id = 'administration'`);
    expect(audit.rows).toEqual([
      { actor: operator, actor_role: 'operator', action: 'issue_key', details: { issued: expect.objectContaining({ keyId, name: 'edr-feed', role: 'integration', sources: ['edr', 'edr-cloud'] }) } },
    ]);
  });

  it('refuses an integration key without sources, naming the option, and issues nothing', async () => {
    const before = await db.pool.query('SELECT count(*)::int AS n FROM api_keys');
    const refused = await createKey('loose-feed', 'integration');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('sources: an integration key is bound to the sources it reports for');
    const after = await db.pool.query('SELECT count(*)::int AS n FROM api_keys');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });
});
