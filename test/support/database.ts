import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { prepareDatabase } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { testEnv } from './servers';

/**
 * The login role every suite's application connects as: a member of `firebreak_app`, owning
 * nothing. Roles belong to the whole cluster, so every suite's database shares it.
 */
export const TEST_APP_LOGIN = { user: 'firebreak_test_app', password: 'firebreak-test-app' };

export interface TestDatabase {
  /** The application's URL: the least-privileged login role. */
  url: string;
  /** The application's pool, as the API and the worker get it. */
  pool: Pool;
  /** The owner's URL (the server's superuser, who ran the migrations). */
  ownerUrl: string;
  /** The owner's pool, for what a test must do behind the application's back. */
  ownerPool: Pool;
  drop(): Promise<void>;
}

async function admin<T>(run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testEnv('postgresAdminUrl') });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** The same server and database as `url`, logged in as another user. */
export function urlAs(url: string, login: { user: string; password: string }): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(login.user);
  parsed.password = encodeURIComponent(login.password);
  return parsed.toString();
}

/**
 * A new database on the run's PostgreSQL, migrated by its owner, so suites never see each other's
 * rows; the application's pool logs in as the least-privileged role, as in production.
 */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const ownerUrl = testEnv('postgresAdminUrl').replace(/\/postgres$/, `/${name}`);
  const url = urlAs(ownerUrl, TEST_APP_LOGIN);
  await prepareDatabase({ migrationUrl: ownerUrl, appUrl: url });
  const pool = createPool(url);
  const ownerPool = createPool(ownerUrl, 2);
  return {
    url,
    pool,
    ownerUrl,
    ownerPool,
    async drop() {
      await Promise.all([pool.end(), ownerPool.end()]);
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
