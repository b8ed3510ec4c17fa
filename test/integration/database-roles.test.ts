import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, type Pool } from 'pg';
import { APP_GROUP, ensureAppLogin } from '../../src/db/app-role';
import { AuditLog } from '../../src/db/audit-log';
import { EvidenceRegister } from '../../src/db/evidence-register';
import { HistoryArchive } from '../../src/db/history-archive';
import { freshDatabase, TEST_APP_LOGIN, urlAs, type TestDatabase } from '../support/database';

/** The application's privileges, table by table, as migration 0010 grants them. */
const EXPECTED_PRIVILEGES: Record<string, string[]> = {
  audit_log: ['INSERT', 'SELECT'],
  custody_entries: ['INSERT', 'SELECT'],
  evidence_artifacts: ['INSERT', 'SELECT'],
  incident_histories: ['INSERT', 'SELECT'],
  playbook_versions: ['INSERT', 'SELECT'],
  idempotency_records: ['INSERT', 'SELECT'],
  dry_run_actions: ['INSERT', 'SELECT'],
  // Only an alert's incident moves (to its key's next incident): the key that reported it stays.
  alerts: ['INSERT', 'SELECT', 'UPDATE (incident_id)'],
  incident_keys: ['INSERT', 'SELECT', 'UPDATE (generation, incident_id)'],
  incidents: ['INSERT', 'SELECT', 'UPDATE'],
  incident_tasks: ['INSERT', 'SELECT', 'UPDATE'],
  observables: ['INSERT', 'SELECT', 'UPDATE'],
  patch_checks: ['INSERT', 'SELECT', 'UPDATE'],
  roster: ['INSERT', 'SELECT', 'UPDATE'],
  lifecycle_event_outbox: ['INSERT', 'SELECT', 'UPDATE'],
  api_keys: ['INSERT', 'SELECT', 'UPDATE'],
  pgmigrations: [],
};

/** The tables whose rows are never changed, with a column to try to change. */
const APPEND_ONLY: Record<string, string> = {
  audit_log: 'actor',
  custody_entries: 'to_custodian',
  evidence_artifacts: 'location',
  incident_histories: 'run_id',
};

/** What PostgreSQL answers; `code` is its SQLSTATE. */
async function failure(pool: Pool | Client, sql: string): Promise<{ code: string; message: string }> {
  try {
    await pool.query(sql);
  } catch (err) {
    const { code, message } = err as { code: string; message: string };
    return { code, message };
  }
  throw new Error(`succeeded: ${sql}`);
}

describe('database roles with least privilege', () => {
  let db: TestDatabase;
  const incidentId = `roles-${randomBytes(4).toString('hex')}`;

  beforeAll(async () => {
    db = await freshDatabase();
    // One row in each append-only table, written the way the application writes them.
    await new AuditLog(db.pool).append(incidentId, [{ entryKey: 'opened', at: new Date().toISOString(), actor: 'firebreak', actorRole: 'system', action: 'open', outcome: 'recorded', details: {} }]);
    await new EvidenceRegister(db.pool).recordCollected({
      incidentId, asset: { kind: 'host', id: 'web-01' }, artifactType: 'memory', volatilityRank: 1, sha256: 'a'.repeat(64), sizeBytes: 1024,
      location: 's3://evidence/web-01/memory', collectedBy: 'forensics-bot', collectedAt: new Date(),
    });
    await new HistoryArchive(db.pool).archive(incidentId, [{ runId: 'run-1', history: { events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' }] } }]);
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('connects the application as a login role that owns nothing and is no superuser', async () => {
    const { rows } = await db.pool.query(`SELECT current_user AS me, r.rolsuper, r.rolcreaterole, r.rolcreatedb, pg_has_role(current_user, $1, 'MEMBER') AS member
                                             FROM pg_roles r WHERE r.rolname = current_user`, [APP_GROUP]);
    expect(rows[0]).toEqual({ me: TEST_APP_LOGIN.user, rolsuper: false, rolcreaterole: false, rolcreatedb: false, member: true });
    const owned = await db.ownerPool.query(
      `SELECT (SELECT count(*)::int FROM pg_class WHERE relowner = r.oid) AS relations,
              (SELECT count(*)::int FROM pg_proc WHERE proowner = r.oid) AS functions,
              (SELECT count(*)::int FROM pg_namespace WHERE nspowner = r.oid) AS schemas,
              (SELECT count(*)::int FROM pg_database WHERE datdba = r.oid) AS databases
         FROM pg_roles r WHERE r.rolname = ANY($1)`,
      [[TEST_APP_LOGIN.user, APP_GROUP]],
    );
    expect(owned.rows).toEqual([
      { relations: 0, functions: 0, schemas: 0, databases: 0 },
      { relations: 0, functions: 0, schemas: 0, databases: 0 },
    ]);
  });

  it('grants exactly what the code needs, table by table, and nothing on a table nobody granted', async () => {
    const { rows } = await db.ownerPool.query(
      `SELECT t.tablename AS table,
              array_remove(ARRAY[
                CASE WHEN has_table_privilege($1, t.tablename, 'INSERT') THEN 'INSERT' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'SELECT') THEN 'SELECT' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'UPDATE') THEN 'UPDATE'
                     WHEN has_any_column_privilege($1, t.tablename, 'UPDATE') THEN
                       'UPDATE (' || (SELECT string_agg(a.attname, ', ' ORDER BY a.attname) FROM pg_attribute a
                                       WHERE a.attrelid = t.tablename::regclass AND a.attnum > 0 AND NOT a.attisdropped
                                         AND has_column_privilege($1, t.tablename, a.attname, 'UPDATE')) || ')' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'DELETE') THEN 'DELETE' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'TRUNCATE') THEN 'TRUNCATE' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'REFERENCES') THEN 'REFERENCES' END,
                CASE WHEN has_table_privilege($1, t.tablename, 'TRIGGER') THEN 'TRIGGER' END
              ], NULL) AS privileges
         FROM pg_tables t WHERE t.schemaname = 'public'`,
      [TEST_APP_LOGIN.user],
    );
    // Tables later migrations create are theirs to grant (and to test); these are this one's.
    const granted = Object.fromEntries(rows.filter((r) => r.table in EXPECTED_PRIVILEGES).map((r) => [r.table, r.privileges]));
    expect(granted).toEqual(EXPECTED_PRIVILEGES);

    const sequences = await db.ownerPool.query(
      `SELECT sequencename AS name, has_sequence_privilege($1, sequencename, 'USAGE') AS usage, has_sequence_privilege($1, sequencename, 'UPDATE') AS update
         FROM pg_sequences WHERE schemaname = 'public' AND sequencename = ANY($2) ORDER BY 1`,
      [TEST_APP_LOGIN.user, ['evidence_artifacts_artifact_id_seq', 'lifecycle_event_outbox_id_seq', 'pgmigrations_id_seq']],
    );
    expect(sequences.rows).toEqual([
      { name: 'evidence_artifacts_artifact_id_seq', usage: true, update: false },
      { name: 'lifecycle_event_outbox_id_seq', usage: true, update: false },
      { name: 'pgmigrations_id_seq', usage: false, update: false },
    ]);

    // A table a later migration creates without a grant stays closed to the application.
    await db.ownerPool.query('CREATE TABLE later_table (id int)');
    expect(await failure(db.pool, 'SELECT * FROM later_table')).toEqual({ code: '42501', message: 'permission denied for table later_table' });
    expect(await failure(db.pool, 'INSERT INTO later_table VALUES (1)')).toEqual({ code: '42501', message: 'permission denied for table later_table' });
    // Nor can the application create tables of its own.
    expect(await failure(db.pool, 'CREATE TABLE mine (id int)')).toEqual({ code: '42501', message: 'permission denied for schema public' });
  });

  describe.each(Object.entries(APPEND_ONLY))('%s, with the application credentials', (table, column) => {
    it.each([
      ['UPDATE', `UPDATE ${table} SET ${column} = ${column}`, `permission denied for table ${table}`],
      ['DELETE', `DELETE FROM ${table}`, `permission denied for table ${table}`],
      ['TRUNCATE', `TRUNCATE ${table}`, `permission denied for table ${table}`],
      ['ALTER TABLE', `ALTER TABLE ${table} ADD COLUMN note text`, `must be owner of table ${table}`],
      ['ALTER TABLE … DISABLE TRIGGER', `ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`, `must be owner of table ${table}`],
      ['DROP TABLE', `DROP TABLE ${table}`, `must be owner of table ${table}`],
      ['CREATE TRIGGER', `CREATE TRIGGER sneaky AFTER INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_change()`, `permission denied for table ${table}`],
    ])('refuses %s', async (_what, sql, message) => {
      expect(await failure(db.pool, sql)).toEqual({ code: '42501', message });
    });

    it('still inserts and reads', async () => {
      const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${table}`);
      expect(rows[0].n).toBeGreaterThan(0);
    });
  });

  it('refuses to replace the function that guards the append-only tables, or to switch triggers off for the session', async () => {
    const replace = `CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$`;
    expect(await failure(db.pool, replace)).toEqual({ code: '42501', message: 'permission denied for schema public' });
    expect(await failure(db.pool, 'ALTER FUNCTION refuse_change() RENAME TO was_refuse_change')).toEqual({ code: '42501', message: 'must be owner of function refuse_change' });
    expect(await failure(db.pool, 'DROP FUNCTION refuse_change() CASCADE')).toEqual({ code: '42501', message: 'must be owner of function refuse_change' });
    expect(await failure(db.pool, 'SET session_replication_role = replica')).toEqual({ code: '42501', message: 'permission denied to set parameter "session_replication_role"' });
    // The guard is still the one the migration wrote.
    const { rows } = await db.ownerPool.query(`SELECT prosrc FROM pg_proc WHERE proname = 'refuse_change'`);
    expect(rows[0].prosrc).toMatch(/append-only/);
  });

  it.each(['evidence_artifacts', 'incident_histories'])('makes %s append-only for the owner too, by trigger', async (table) => {
    const column = APPEND_ONLY[table]!;
    expect(await failure(db.ownerPool, `UPDATE ${table} SET ${column} = ${column}`)).toEqual({ code: '42501', message: `${table} is append-only: UPDATE refused` });
    expect(await failure(db.ownerPool, `DELETE FROM ${table}`)).toEqual({ code: '42501', message: `${table} is append-only: DELETE refused` });
    expect(await failure(db.ownerPool, `TRUNCATE ${table} CASCADE`)).toEqual({ code: '42501', message: expect.stringMatching(/is append-only: TRUNCATE refused$/) });
  });
});

describe('the application login role', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });
  const newLogin = () => ({ user: `app_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('hex') });

  async function connectsAs(login: { user: string; password: string }): Promise<string> {
    const client = new Client({ connectionString: urlAs(db.ownerUrl, login) });
    await client.connect();
    try {
      return (await client.query('SELECT current_user AS me')).rows[0].me;
    } finally {
      await client.end();
    }
  }

  it('is created once when many migrations ensure it at the same time, and belongs to the group', async () => {
    const login = newLogin();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => ensureAppLogin(db.ownerUrl, urlAs(db.ownerUrl, login))));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const { rows } = await db.ownerPool.query(
      `SELECT count(*)::int AS roles, bool_and(pg_has_role(rolname, $2, 'MEMBER')) AS member, bool_and(rolcanlogin) AS login FROM pg_roles WHERE rolname = $1`,
      [login.user, APP_GROUP],
    );
    expect(rows[0]).toEqual({ roles: 1, member: true, login: true });
    expect(await connectsAs(login)).toBe(login.user);
  });

  it('takes a new password from DATABASE_URL, after which the old one no longer logs in', async () => {
    const login = newLogin();
    await ensureAppLogin(db.ownerUrl, urlAs(db.ownerUrl, login));
    const rotated = { ...login, password: randomBytes(12).toString('hex') };
    await ensureAppLogin(db.ownerUrl, urlAs(db.ownerUrl, rotated));
    expect(await connectsAs(rotated)).toBe(login.user);
    await expect(connectsAs(login)).rejects.toMatchObject({ code: '28P01' });
  });

  it('refuses a superuser or a role that owns tables, and leaves it as it was', async () => {
    const superuser = newLogin();
    await db.ownerPool.query(`CREATE ROLE ${superuser.user} SUPERUSER LOGIN PASSWORD '${superuser.password}'`);
    await expect(ensureAppLogin(db.ownerUrl, urlAs(db.ownerUrl, superuser))).rejects.toThrow(`DATABASE_URL's role ${superuser.user} is a superuser`);
    const owner = newLogin();
    await db.ownerPool.query(`CREATE ROLE ${owner.user} LOGIN PASSWORD '${owner.password}'`);
    await db.ownerPool.query(`ALTER TABLE roster OWNER TO ${owner.user}`);
    await expect(ensureAppLogin(db.ownerUrl, urlAs(db.ownerUrl, owner))).rejects.toThrow(`DATABASE_URL's role ${owner.user} is an owner of objects in this database`);
    const { rows } = await db.ownerPool.query(`SELECT rolname, rolsuper, pg_has_role(rolname, $2, 'MEMBER') AS member FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolsuper DESC`, [[superuser.user, owner.user], APP_GROUP]);
    expect(rows).toEqual([
      { rolname: superuser.user, rolsuper: true, member: true }, // a superuser is a member of every role
      { rolname: owner.user, rolsuper: false, member: false },
    ]);
    await db.ownerPool.query(`ALTER TABLE roster OWNER TO CURRENT_USER`);
  });
});

/** `npm run migrate` as an operator runs it: the built CLI, with the two URLs in its environment. */
describe('npm run migrate', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await freshDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const migrate = (env: Record<string, string>) =>
    promisify(execFile)('node', [path.resolve(__dirname, '../../dist/src/db/migrate-cli.js')], { env: { PATH: process.env.PATH, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('migrates as the owner and makes the application login a member of firebreak_app, again and again', async () => {
    const login = { user: `svc_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('base64url') };
    const appUrl = urlAs(db.ownerUrl, login);
    for (let i = 0; i < 2; i++) {
      const run = await migrate({ MIGRATION_DATABASE_URL: db.ownerUrl, DATABASE_URL: appUrl });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain(`login role ${login.user} is a member of firebreak_app`);
      expect(run.stdout).not.toContain(login.password);
    }
    const app = new Client({ connectionString: appUrl });
    await app.connect();
    try {
      expect((await app.query('SELECT count(*)::int AS n FROM audit_log')).rows[0].n).toBe(0);
      expect(await failure(app, 'DELETE FROM audit_log')).toEqual({ code: '42501', message: 'permission denied for table audit_log' });
    } finally {
      await app.end();
    }
  });

  it('makes the checkpoint signer’s login a member of firebreak_signer, which may write checkpoints and not the audit log', async () => {
    const login = { user: `signer_${randomBytes(4).toString('hex')}`, password: randomBytes(12).toString('base64url') };
    const signerUrl = urlAs(db.ownerUrl, login);
    const run = await migrate({ MIGRATION_DATABASE_URL: db.ownerUrl, DATABASE_URL: urlAs(db.ownerUrl, { user: `svc_${randomBytes(4).toString('hex')}`, password: 'pw' }), SIGNER_DATABASE_URL: signerUrl });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain(`checkpoint signer logs in as ${login.user}`);
    expect(run.stdout).not.toContain(login.password);
    const signer = new Client({ connectionString: signerUrl });
    await signer.connect();
    try {
      expect((await signer.query('SELECT count(*)::int AS n FROM audit_checkpoints')).rows[0].n).toBe(0);
      expect(await failure(signer, "INSERT INTO audit_log (incident_id) VALUES ('x')")).toMatchObject({ code: '42501' });
    } finally {
      await signer.end();
    }
  });

  it('warns when the application would connect as the owner, and names a missing DATABASE_URL', async () => {
    const asOwner = await migrate({ DATABASE_URL: db.ownerUrl });
    expect(asOwner.code).toBe(0);
    expect(asOwner.stderr).toContain('warning: the application connects as the owner of its tables');
    const missing = await migrate({ MIGRATION_DATABASE_URL: db.ownerUrl });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('DATABASE_URL: DATABASE_URL is required');
  });
});
