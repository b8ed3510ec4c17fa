import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureWeeklyReportSchedule } from '../temporal/schedules';
import { startApi } from '../api/api-service';
import { ApiKeyStore } from '../db/api-key-store';
import { migrateUp } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { projectRoot } from '../paths';
import { temporalCliPath } from '../temporal/binaries';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { createIncidentWorker } from '../worker/incident-worker';
import { issueDevKeys } from './dev-keys';
import { reachableDataDir, startEmbeddedPostgres, type RunningPostgres } from './embedded-postgres';

const env = process.env;
const port = (name: string, fallback: number) => Number(env[name] ?? fallback);

/**
 * One command for the whole system on embedded defaults: a Temporal dev server (SQLite file in
 * the data folder), an embedded PostgreSQL, migrations, a worker and the API. TEMPORAL_ADDRESS
 * and DATABASE_URL point it at real servers instead. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const logger = createLogger(env.LOG_LEVEL ?? 'info', 'firebreak');
  const dataDir = path.resolve(env.FIREBREAK_DATA_DIR ?? path.join(projectRoot(), '.data'));
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];

  let temporal: DevServer | undefined;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? (await (async () => {
    temporal = await startDevServer({
      cliPath: temporalCliPath(),
      port: port('TEMPORAL_PORT', 7233),
      uiPort: port('TEMPORAL_UI_PORT', 8233),
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      logFile: path.join(dataDir, 'temporal.log'),
    });
    stops.unshift(() => temporal!.stop());
    return temporal.address;
  })());

  let postgres: RunningPostgres | undefined;
  const databaseUrl = env.DATABASE_URL ?? (await (async () => {
    const pgDir = reachableDataDir(path.join(dataDir, 'postgres'), 'firebreak-postgres');
    postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: port('POSTGRES_PORT', 5433), persistent: true });
    stops.unshift(() => postgres!.stop());
    await postgres.createDatabase('firebreak');
    logger.info({ dataDir: pgDir }, 'embedded PostgreSQL data folder');
    return postgres.urlFor('firebreak');
  })());

  await migrateUp(databaseUrl, (msg) => logger.debug(msg));
  const pool = createPool(databaseUrl);
  stops.unshift(() => pool.end());

  const keysFile = path.join(dataDir, 'dev-keys.json');
  const issued = await issueDevKeys(new ApiKeyStore(pool), keysFile);

  const connection = await NativeConnection.connect({ address: temporalAddress });
  const worker = await createIncidentWorker({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default', pool });
  await ensureWeeklyReportSchedule(new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default' }));
  const workerRun = worker.run();
  stops.unshift(async () => {
    // The SDK's runtime already drains the worker on SIGINT/SIGTERM; shut it down only if not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await connection.close();
  });

  const api = await startApi({
    pool,
    logger,
    temporalAddress,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    host: env.HOST ?? '127.0.0.1',
    port: port('PORT', 8080),
  });
  stops.unshift(() => api.close());

  console.log(
    [
      '',
      'Firebreak is up.',
      `  API          ${api.url}`,
      `  Temporal     ${temporalAddress}`,
      `  Temporal UI  ${temporal?.uiUrl ?? '(external server)'}`,
      `  PostgreSQL   ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
      `  API keys     ${keysFile}${issued ? ' (just issued: one per role)' : ''}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping…');
    for (const s of stops) await s().catch((err) => logger.warn({ err }, 'error while stopping'));
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('Firebreak failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
