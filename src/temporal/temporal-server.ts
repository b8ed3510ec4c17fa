import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { Client as PgClient } from 'pg';
import { randomFreePort } from '../net';
import { projectRoot } from '../paths';
import type { DevServer } from './dev-server';
import { registerSearchAttributes } from './register-search-attributes';
import { SEARCH_ATTRIBUTES } from './search-attributes';

/** The server version `make temporal-server` builds (the Makefile's TEMPORAL_SERVER_VERSION). */
export const TEMPORAL_SERVER_VERSION = '1.32.2';

/** Which Temporal a test run or a benchmark used, as its header says. */
export const TEMPORAL_LABELS = {
  dev: 'dev server (SQLite)',
  server: `Temporal server ${TEMPORAL_SERVER_VERSION} (PostgreSQL)`,
} as const;

/** `dev` (the CLI's dev server on SQLite, the default) or `server` (this module's), from a switch's value. */
export function temporalKind(value: string | undefined, variable: string): keyof typeof TEMPORAL_LABELS {
  if (value === undefined || value === '' || value === 'dev') return 'dev';
  if (value === 'server') return 'server';
  throw new Error(`${variable}=${value}: expected 'dev' (the dev server on SQLite) or 'server' (the Temporal server on PostgreSQL)`);
}

/** What `make temporal-server` puts in .tools/temporal-server. */
export interface TemporalServerInstall {
  server: string;
  sqlTool: string;
  /** The PostgreSQL schema from the server's module: temporal/versioned and visibility/versioned. */
  schemaDir: string;
}

export function temporalServerInstall(dir: string = path.join(projectRoot(), '.tools', 'temporal-server')): TemporalServerInstall {
  const install = {
    server: path.join(dir, 'bin', 'temporal-server'),
    sqlTool: path.join(dir, 'bin', 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema'),
  };
  const missing = [install.server, install.sqlTool].filter((file) => {
    try {
      accessSync(file, constants.X_OK);
      return false;
    } catch {
      return true;
    }
  });
  if (!existsSync(path.join(install.schemaDir, 'temporal', 'versioned'))) missing.push(path.join(install.schemaDir, 'temporal', 'versioned'));
  if (missing.length > 0) {
    throw new Error(
      `the Temporal server is not built (missing ${missing.join(', ')}): run \`make temporal-server\`, ` +
        `which builds go.temporal.io/server v${TEMPORAL_SERVER_VERSION} and its SQL schema tool into .tools/temporal-server (needs Go)`,
    );
  }
  return install;
}

/** The ports one server process listens on: gRPC and membership for each of its four services. */
export interface TemporalServerPorts {
  frontend: number;
  frontendHttp: number;
  frontendMembership: number;
  history: number;
  historyMembership: number;
  matching: number;
  matchingMembership: number;
  worker: number;
  workerMembership: number;
}

export interface PostgresLogin {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface TemporalServerOptions {
  /** PostgreSQL as a role that may create databases: a URL (its database is ignored) or the parts. */
  postgres: string | PostgresLogin;
  /** The frontend's gRPC port, the one clients and workers use: at most 32767 (see freeServerPort). */
  port: number;
  /** The server's working folder (its log goes here unless `logFile` says otherwise). */
  workDir: string;
  logFile?: string;
  /** Temporal's two databases; several servers on one PostgreSQL need names of their own. */
  databases?: { main: string; visibility: string };
  /**
   * The other ports (free ones are picked when left out). A restart on the same databases should
   * reuse the first start's, from the returned `ports`: the membership table remembers them.
   */
  ports?: Partial<TemporalServerPorts>;
  /** Prometheus metrics on 127.0.0.1:<port>, /metrics. */
  metricsPort?: number;
  namespace?: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readyTimeoutMs?: number;
  /** See DevServerOptions.ownProcessGroup. */
  ownProcessGroup?: boolean;
  /** Where `make temporal-server` put the programs (default .tools/temporal-server). */
  installDir?: string;
}

export interface TemporalServer extends DevServer {
  ports: TemporalServerPorts;
  databases: { main: string; visibility: string };
  /** How long each step of this start took (ms): the schema tool, the process until its frontend answered, and until a workflow could start. */
  timings: { schemaMs: number; frontendMs: number; readyMs: number };
}

const CONFIG_DIR = () => path.join(projectRoot(), 'deploy', 'temporal-server');
const PROBE_QUEUE = 'firebreak-readiness-probe';
/** How long closed workflows are kept (the dev server's namespace keeps them as long). */
const RETENTION = '1 day';

function loginOf(postgres: string | PostgresLogin): PostgresLogin {
  if (typeof postgres !== 'string') return postgres;
  const url = new URL(postgres);
  return { host: url.hostname, port: Number(url.port || 5432), user: decodeURIComponent(url.username), password: decodeURIComponent(url.password) };
}

async function withPg<T>(login: PostgresLogin, database: string, work: (client: PgClient) => Promise<T>): Promise<T> {
  const client = new PgClient({ ...login, database });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates the database if it is missing and brings its schema to this server version with
 * Temporal's own SQL tool: `setup-schema -v 0.0` on a new database, then `update-schema`, which
 * applies only the versions the database lacks (so it is quick on a restart, and upgrades).
 */
async function setUpSchema(install: TemporalServerInstall, login: PostgresLogin, database: string, versionedDir: string): Promise<void> {
  await withPg(login, 'postgres', async (client) => {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await client.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  });
  const isSetUp = await withPg(login, database, async (client) => (await client.query(`SELECT to_regclass('public.schema_version') IS NOT NULL AS present`)).rows[0].present === true);
  const tool = (...args: string[]) => {
    // The password goes through the environment, not the command line.
    const result = spawnSync(install.sqlTool, ['--plugin', 'postgres12', '--ep', login.host, '-p', String(login.port), '-u', login.user, '--db', database, ...args], {
      env: { PATH: process.env.PATH ?? '', SQL_PASSWORD: login.password },
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      throw new Error(`temporal-sql-tool ${args[0]} on ${database} failed (${result.error?.message ?? `exit ${result.status}`}):\n${`${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-15).join('\n')}`);
    }
  };
  if (!isSetUp) tool('setup-schema', '-v', '0.0');
  tool('update-schema', '-d', versionedDir);
}

/**
 * The server keeps each service's membership port in a SMALLINT column (cluster_membership.rpc_port)
 * and stops at start-up on one above 32767, which is where Linux hands out ephemeral ports (what
 * binding port 0 gives). So its ports are picked below that.
 */
const MAX_PORT = 32_767;

/** A free TCP port on 127.0.0.1 in 10000-32767, for the Temporal server. */
export async function freeServerPort(taken: Iterable<number> = []): Promise<number> {
  const port = await randomFreePort({ low: 10_000, high: MAX_PORT }, new Set(taken), 200);
  if (port === undefined) throw new Error(`no free port between 10000 and ${MAX_PORT}`);
  return port;
}

/**
 * Fixed ports around a frontend port, laid out as the server's own defaults are around 7233
 * (HTTP +10, history +1, matching +2, worker +6, each service's membership 300 below its gRPC
 * port): for a server that restarts on the same databases, whose membership table remembers them.
 */
export function temporalServerPortsFrom(frontend: number): TemporalServerPorts {
  return {
    frontend,
    frontendHttp: frontend + 10,
    frontendMembership: frontend - 300,
    history: frontend + 1,
    historyMembership: frontend - 299,
    matching: frontend + 2,
    matchingMembership: frontend - 298,
    worker: frontend + 6,
    workerMembership: frontend - 294,
  };
}

async function pickPorts(port: number, given: Partial<TemporalServerPorts> = {}): Promise<TemporalServerPorts> {
  const ports = { frontend: port } as TemporalServerPorts;
  for (const name of ['frontendHttp', 'frontendMembership', 'history', 'historyMembership', 'matching', 'matchingMembership', 'worker', 'workerMembership'] as const) {
    ports[name] = given[name] ?? (await freeServerPort(Object.values(ports)));
  }
  const tooHigh = Object.entries(ports).filter(([, p]) => p > MAX_PORT);
  if (tooHigh.length > 0) throw new Error(`the Temporal server's ports must be at most ${MAX_PORT} (its membership table keeps them as SMALLINT): ${tooHigh.map(([n, p]) => `${n} ${p}`).join(', ')}; freeServerPort() picks one`);
  return ports;
}

/**
 * Runs the Temporal server itself (the one production runs, built by `make temporal-server`) on
 * PostgreSQL, with the config kept in deploy/temporal-server: sets up or upgrades its two
 * databases' schema, starts it, creates the namespace (the real server has none of its own),
 * registers Firebreak's search attributes, and resolves once a workflow with those attributes can
 * actually be started, which on this server trails the namespace's creation by a few seconds (its
 * namespace registry refreshes on a timer). Same handle as the dev server's.
 */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const install = temporalServerInstall(options.installDir);
  const login = loginOf(options.postgres);
  const databases = options.databases ?? { main: 'temporal', visibility: 'temporal_visibility' };
  const namespace = options.namespace ?? 'default';
  const timeoutMs = options.readyTimeoutMs ?? 120_000;
  mkdirSync(options.workDir, { recursive: true });

  const began = Date.now();
  await setUpSchema(install, login, databases.main, path.join(install.schemaDir, 'temporal', 'versioned'));
  await setUpSchema(install, login, databases.visibility, path.join(install.schemaDir, 'visibility', 'versioned'));
  const schemaMs = Date.now() - began;

  const ports = await pickPorts(options.port, options.ports);
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    TEMPORAL_LOG_LEVEL: options.logLevel ?? 'warn',
    TEMPORAL_DB_HOST: login.host,
    TEMPORAL_DB_PORT: String(login.port),
    TEMPORAL_DB_USER: login.user,
    TEMPORAL_DB_PASSWORD: login.password,
    TEMPORAL_DB_NAME: databases.main,
    TEMPORAL_VISIBILITY_DB_NAME: databases.visibility,
    TEMPORAL_DYNAMIC_CONFIG: path.join(CONFIG_DIR(), 'dynamicconfig.yaml'),
    TEMPORAL_FRONTEND_PORT: String(ports.frontend),
    TEMPORAL_FRONTEND_HTTP_PORT: String(ports.frontendHttp),
    TEMPORAL_FRONTEND_MEMBERSHIP_PORT: String(ports.frontendMembership),
    TEMPORAL_HISTORY_PORT: String(ports.history),
    TEMPORAL_HISTORY_MEMBERSHIP_PORT: String(ports.historyMembership),
    TEMPORAL_MATCHING_PORT: String(ports.matching),
    TEMPORAL_MATCHING_MEMBERSHIP_PORT: String(ports.matchingMembership),
    TEMPORAL_WORKER_PORT: String(ports.worker),
    TEMPORAL_WORKER_MEMBERSHIP_PORT: String(ports.workerMembership),
    ...(options.metricsPort ? { TEMPORAL_METRICS_PORT: String(options.metricsPort) } : {}),
  };
  const started = Date.now();
  const child = spawn(install.server, ['--config-file', path.join(CONFIG_DIR(), 'config.yaml'), '--allow-no-auth', 'start'], {
    cwd: options.workDir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.ownProcessGroup ?? false,
  });
  const log = createWriteStream(options.logFile ?? path.join(options.workDir, 'temporal-server.log'), { flags: 'a' });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.on('data', (chunk: Buffer) => {
      log.write(chunk);
      // The last 20 lines, without the stack traces the server's JSON log lines carry.
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean).map((line) => line.replace(/,"stacktrace":.*$/, '}').slice(0, 600)));
      tail.splice(0, Math.max(0, tail.length - 20));
    });
  }
  let exited = false;
  child.once('exit', () => {
    exited = true;
    log.end();
  });
  const address = `127.0.0.1:${ports.frontend}`;
  const deadline = Date.now() + timeoutMs;
  const until = async <T>(what: string, attempt: () => Promise<T>): Promise<T> => {
    let lastError: unknown;
    for (;;) {
      if (exited) throw new Error(`the Temporal server at ${address} exited with code ${child.exitCode} before ${what}:\n${tail.join('\n')}`);
      if (Date.now() >= deadline) {
        child.kill('SIGKILL');
        throw new Error(`the Temporal server at ${address}: ${what} not done after ${timeoutMs} ms: ${lastError instanceof Error ? lastError.message : String(lastError)}\n${tail.join('\n')}`);
      }
      try {
        return await attempt();
      } catch (err) {
        lastError = err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };

  let frontendMs = 0;
  try {
    const connection = await until('its frontend answered', async () => {
      const c = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await c.workflowService.getSystemInfo({});
        return c;
      } catch (err) {
        await c.close();
        throw err;
      }
    });
    frontendMs = Date.now() - started;
    try {
      await until(`namespace ${namespace} existed`, async () => {
        try {
          await connection.workflowService.describeNamespace({ namespace });
        } catch (err) {
          if (!/not found/i.test(err instanceof Error ? err.message : String(err))) throw err;
          try {
            await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs(RETENTION) });
          } catch (registerErr) {
            if (!/already exists|already registered/i.test(registerErr instanceof Error ? registerErr.message : String(registerErr))) throw registerErr;
          }
          throw err; // described again on the next round, once the registry has it
        }
      });
      await until('the search attributes were registered', () => registerSearchAttributes(connection, namespace));
      // A workflow carrying every attribute is what the API starts: once one starts, the registry
      // has the namespace and its attributes. The probe is terminated and deleted at once.
      const client = new Client({ connection, namespace });
      await until('a workflow could start', async () => {
        const workflowId = `firebreak-readiness-probe-${randomUUID()}`;
        const handle = await client.workflow.start('FirebreakReadinessProbe', {
          taskQueue: PROBE_QUEUE,
          workflowId,
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.severity, value: 'probe' },
            { key: SEARCH_ATTRIBUTES.phase, value: 'probe' },
            { key: SEARCH_ATTRIBUTES.source, value: 'probe' },
            { key: SEARCH_ATTRIBUTES.commander, value: 'probe' },
            { key: SEARCH_ATTRIBUTES.escalationLevel, value: 0 },
          ],
        });
        await handle.terminate('readiness probe');
        await connection.workflowService
          .deleteWorkflowExecution({ namespace, workflowExecution: { workflowId, runId: handle.firstExecutionRunId } })
          .catch(() => undefined);
      });
    } finally {
      await connection.close();
    }
  } catch (err) {
    if (!exited) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    throw err;
  }
  const readyMs = Date.now() - started;

  return {
    address,
    process: child,
    ports,
    databases,
    timings: { schemaMs, frontendMs, readyMs },
    async stop() {
      if (exited) return;
      const gone = once(child, 'exit');
      child.kill('SIGTERM');
      // Its services drain in turn on SIGTERM; a server that is still busy after that is killed.
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await gone;
      clearTimeout(timer);
    },
  };
}
