import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/net';
import { startEmbeddedPostgres } from '../../src/stack/embedded-postgres';
import { temporalCliPath, temporalTestServerPath } from '../../src/temporal/binaries';
import { startDevServer } from '../../src/temporal/dev-server';
import { freeServerPort, startTemporalServer, TEMPORAL_LABELS, temporalKind, temporalServerInstall } from '../../src/temporal/temporal-server';
import { TEST_ENV } from './servers';

/**
 * Starts one Temporal dev server and one PostgreSQL for the whole run; suites get a fresh
 * database and their own task queue each. Handles are kept on globalThis for teardown.
 * FIREBREAK_TEMPORAL=server runs the Temporal server itself (`make temporal-server`) on that
 * PostgreSQL instead of the dev server.
 */
export default async function globalSetup(): Promise<void> {
  const cli = temporalCliPath();
  process.env.TEMPORAL_CLI_PATH = cli;
  process.env.TEMPORAL_TEST_SERVER_PATH = temporalTestServerPath();

  // As root PostgreSQL runs as `postgres`, so the work folder must be reachable by others.
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-test-'));
  chmodSync(workDir, 0o755);
  process.env[TEST_ENV.workDir] = workDir;

  const [temporalPort, postgresPort] = [await freePort(), await freePort()];
  if (temporalKind(process.env.FIREBREAK_TEMPORAL, 'FIREBREAK_TEMPORAL') === 'server') {
    temporalServerInstall(); // not built: say so before anything starts
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(workDir, 'postgres'), port: postgresPort, persistent: false });
    const temporal = await startTemporalServer({ postgres: postgres.urlFor('postgres'), port: await freeServerPort(), workDir: path.join(workDir, 'temporal-server'), logFile: path.join(workDir, 'temporal.log') }).catch(async (err: unknown) => {
      await postgres.stop();
      throw err;
    });
    console.info(`\nTemporal: ${TEMPORAL_LABELS.server} at ${temporal.address}, schema set up in ${temporal.timings.schemaMs} ms, ready ${temporal.timings.readyMs} ms after its start`);
    process.env[TEST_ENV.temporalAddress] = temporal.address;
    process.env[TEST_ENV.postgresAdminUrl] = postgres.urlFor('postgres');
    (globalThis as Record<string, unknown>).__firebreakServers = { temporal, postgres, workDir };
    return;
  }
  const [temporal, postgres] = await Promise.all([
    startDevServer({
      cliPath: cli,
      port: temporalPort,
      dbFile: path.join(workDir, 'temporal.sqlite'),
      fastSqlite: true,
      logFile: path.join(workDir, 'temporal.log'),
    }),
    startEmbeddedPostgres({ dataDir: path.join(workDir, 'postgres'), port: postgresPort, persistent: false }),
  ]);
  process.env[TEST_ENV.temporalAddress] = temporal.address;
  process.env[TEST_ENV.postgresAdminUrl] = postgres.urlFor('postgres');
  (globalThis as Record<string, unknown>).__firebreakServers = { temporal, postgres, workDir };
}
