import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { projectRoot } from '../paths';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'src', 'db', 'migrations');

/** Applies every pending migration; safe to run on every start. */
export async function migrateUp(databaseUrl: string, log: (msg: string) => void = () => undefined): Promise<void> {
  await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: 'pgmigrations',
    count: Infinity,
    singleTransaction: true,
    log,
    logger: { debug: () => undefined, info: log, warn: log, error: log },
  });
}
