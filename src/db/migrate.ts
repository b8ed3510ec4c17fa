import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { projectRoot } from '../paths';
import { ensureAppLogin, sameLogin } from './app-role';

export const MIGRATIONS_DIR = path.join(projectRoot(), 'src', 'db', 'migrations');

/** Applies every pending migration; safe to run on every start. Run it as the tables' owner. */
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

export interface DatabaseUrls {
  /** The owner's URL: migrations run as it. Unset: `appUrl` is the owner too (the old, insecure way). */
  migrationUrl?: string;
  /** What the API and the worker connect with. */
  appUrl: string;
}

/**
 * Migrates as the owner, then makes the application's login role (the user in `appUrl`) a member
 * of `firebreak_app` with the password in `appUrl`. Says what it did through `log`; `separateRole`
 * is false when the application connects as the owner.
 */
export async function prepareDatabase({ migrationUrl, appUrl }: DatabaseUrls, log: (msg: string) => void = () => undefined): Promise<{ separateRole: boolean }> {
  const ownerUrl = migrationUrl ?? appUrl;
  await migrateUp(ownerUrl, log);
  if (sameLogin(ownerUrl, appUrl)) return { separateRole: false };
  const { user } = await ensureAppLogin(ownerUrl, appUrl);
  log(`login role ${user} is a member of firebreak_app`);
  return { separateRole: true };
}
