import { randomBytes } from 'node:crypto';
import { Client, type Pool } from 'pg';
import { migrateUp } from '../../src/db/migrate';
import { createPool } from '../../src/db/pool';
import { testEnv } from './servers';

export interface TestDatabase {
  url: string;
  pool: Pool;
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

/** A new, migrated database on the run's PostgreSQL, so suites never see each other's rows. */
export async function freshDatabase(): Promise<TestDatabase> {
  const name = `t_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  const url = testEnv('postgresAdminUrl').replace(/\/postgres$/, `/${name}`);
  await migrateUp(url);
  const pool = createPool(url);
  return {
    url,
    pool,
    async drop() {
      await pool.end();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
