import { Client, escapeIdentifier, escapeLiteral } from 'pg';

/**
 * The NOLOGIN group whose privileges the application has (migration 0010 says which). The login
 * role the API and the worker use is a member of it and owns nothing.
 */
export const APP_GROUP = 'firebreak_app';

/** The user and password a postgres:// URL logs in with. */
export function credentialsOf(url: string): { user: string; password: string } {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  if (!user) throw new Error('DATABASE_URL names no user: the application needs a login role of its own');
  return { user, password: decodeURIComponent(parsed.password) };
}

/**
 * Errors two sessions get when they create or alter the same role at once: roles belong to the
 * whole cluster, so concurrent migrations of different databases meet here. Trying again sees the
 * other session's result.
 */
const CONCURRENT_ROLE_CHANGE = new Set(['23505', '42710', 'XX000', '40001', '40P01']);

async function retryingConcurrentChange<T>(run: () => Promise<T>, attempts = 20): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      const code = (err as { code?: string }).code;
      const concurrent = code !== undefined && CONCURRENT_ROLE_CHANGE.has(code) && (code !== 'XX000' || /concurrently/.test((err as Error).message));
      if (!concurrent || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * attempt));
    }
  }
}

/**
 * Makes the login role named in `appUrl` exist with that password and belong to `firebreak_app`,
 * connected as the owner (`ownerUrl`). Idempotent, and safe while other databases on the same
 * cluster do it too. It refuses a role that is a superuser or owns anything in the database: such
 * a role would keep every right the group is meant to withhold.
 */
export async function ensureAppLogin(ownerUrl: string, appUrl: string): Promise<{ user: string }> {
  const { user, password } = credentialsOf(appUrl);
  if (!password) throw new Error(`DATABASE_URL gives role ${user} no password`);
  const owner = new Client({ connectionString: ownerUrl });
  await owner.connect();
  try {
    const { rows } = await owner.query(
      `SELECT r.rolsuper,
              (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relowner = r.oid AND n.nspname NOT IN ('pg_catalog', 'information_schema')) AS owned,
              (SELECT count(*)::int FROM pg_namespace n WHERE n.nspowner = r.oid AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema') AS schemas,
              (SELECT count(*)::int FROM pg_database d WHERE d.datdba = r.oid AND d.datname = current_database()) AS databases
         FROM pg_roles r WHERE r.rolname = $1`,
      [user],
    );
    const existing = rows[0];
    if (existing && (existing.rolsuper || existing.owned > 0 || existing.schemas > 0 || existing.databases > 0)) {
      throw new Error(
        `DATABASE_URL's role ${user} is ${existing.rolsuper ? 'a superuser' : 'an owner of objects in this database'}: ` +
          'give the application a login role of its own (MIGRATION_DATABASE_URL names the owner)',
      );
    }
    const attributes = 'LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
    await retryingConcurrentChange(async () => {
      const { rowCount } = await owner.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      const verb = rowCount ? 'ALTER' : 'CREATE';
      await owner.query(`${verb} ROLE ${escapeIdentifier(user)} WITH ${attributes} PASSWORD ${escapeLiteral(password)}`);
    });
    await retryingConcurrentChange(async () => {
      const { rowCount } = await owner.query('SELECT 1 FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid JOIN pg_roles u ON u.oid = m.member WHERE g.rolname = $1 AND u.rolname = $2', [APP_GROUP, user]);
      if (!rowCount) await owner.query(`GRANT ${escapeIdentifier(APP_GROUP)} TO ${escapeIdentifier(user)}`);
    });
    return { user };
  } finally {
    await owner.end();
  }
}

/** True when both URLs log in as the same role: the application then connects as the owner. */
export function sameLogin(ownerUrl: string, appUrl: string): boolean {
  return credentialsOf(ownerUrl).user === credentialsOf(appUrl).user;
}
