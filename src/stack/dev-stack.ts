import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Logger as SdkLogger } from '@temporalio/common';
import type { Logger } from 'pino';
import { ensureWeeklyReportSchedule } from '../temporal/schedules';
import { startApi } from '../api/api-service';
import { AdminAudit } from '../db/admin-audit';
import { ApiKeyStore } from '../db/api-key-store';
import { AuditLog } from '../db/audit-log';
import { prepareDatabase, type DatabaseUrls } from '../db/migrate';
import { createPool } from '../db/pool';
import { createLogger, logLevelFrom } from '../logger';
import { installTemporalRuntimeLogging } from '../temporal/runtime-logging';
import { temporalCliPath } from '../temporal/binaries';
import { startDevServer, type DevServer } from '../temporal/dev-server';
import { startTemporalServer, temporalKind, temporalServerInstall, temporalServerPortsFrom, TEMPORAL_LABELS } from '../temporal/temporal-server';
import { createIncidentWorker, incidentWorkflowsPath } from '../worker/incident-worker';
import { bundleIncidentWorkflows } from '../worker/workflow-bundle';
import { startDevSigner } from './dev-checkpoint-signer';
import { startDevOidcProvider } from './dev-oidc-provider';
import { oidcSettingsFromEnvironment } from '../api/oidc-login';
import { devDecisionKeys } from './dev-decision-key';
import { issueDevKeys } from './dev-keys';
import { devPayloadCodec } from './dev-payload-key';
import { temporalTlsFromEnvironment } from '../temporal/connection-options';
import { dataConverterFor } from '../temporal/payload-codec';
import { devDataDir, devStackFile, removeDevStackConnection, writeDevStackConnection } from './dev-stack-file';
import { reachableDataDir, startEmbeddedPostgres, takeOverShutdownSignals, type RunningPostgres } from './embedded-postgres';

const env = process.env;
const port = (name: string, fallback: number) => Number(env[name] ?? fallback);

/** What has started so far, to stop last-started first. */
const stops: Array<{ what: string; stop: () => Promise<void> }> = [];
let stopping = false;

/** Stops everything that started; exits with `code`, or 1 when something did not stop cleanly. */
async function stopAll(logger: Logger, code: number, announce = true): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (announce) console.log('\nstopping…');
  let clean = true;
  for (const { what, stop } of stops) {
    const started = Date.now();
    await stop().catch((err) => {
      clean = false;
      logger.warn({ err, what }, 'error while stopping');
    });
    logger.debug({ what, ms: Date.now() - started }, 'stopped');
  }
  process.exit(clean ? code : 1);
}

/**
 * The workflow bundler logs webpack's whole module list at info; in the terminal that is a screen
 * of noise before "Firebreak is up". Its lines go to debug (LOG_LEVEL=debug shows them), its
 * warnings and errors stay what they are.
 */
function bundlerLogger(logger: Logger): SdkLogger {
  const debug = (message: string) => logger.debug({ component: 'workflow-bundler' }, message);
  const warn = (message: string) => logger.warn({ component: 'workflow-bundler' }, message);
  const error = (message: string) => logger.error({ component: 'workflow-bundler' }, message);
  return {
    log: (level, message) => (level === 'ERROR' ? error : level === 'WARN' ? warn : debug)(message),
    trace: debug,
    debug,
    info: debug,
    warn,
    error,
  };
}

/**
 * One command for the whole system on embedded defaults: a Temporal dev server (SQLite file in
 * the data folder), an embedded PostgreSQL, migrations, a worker and the API. TEMPORAL_ADDRESS
 * and DATABASE_URL point it at real servers instead. Ctrl-C stops everything.
 */
async function main(logger: Logger): Promise<void> {
  const level = logLevelFrom(env);
  // Before anything creates the SDK's runtime: LOG_LEVEL sets its threshold too, and its lines are the stack's.
  installTemporalRuntimeLogging(logger, level);
  // This process stops the servers itself on Ctrl-C, in order, and exits 0 when that went well.
  takeOverShutdownSignals();
  const dataDir = devDataDir(env);
  mkdirSync(dataDir, { recursive: true });
  // Listening from the start: Ctrl-C while the servers start still stops what has started.
  const onSignal = () => void stopAll(logger, 0);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // FIREBREAK_TEMPORAL=server: the Temporal server itself (`make temporal-server`) on the embedded
  // PostgreSQL instead of the dev server on SQLite; its databases and the stack's data live on.
  const temporalKindWanted = temporalKind(env.FIREBREAK_TEMPORAL, 'FIREBREAK_TEMPORAL');
  if (temporalKindWanted === 'server' && !env.TEMPORAL_ADDRESS && env.DATABASE_URL) {
    throw new Error('FIREBREAK_TEMPORAL=server runs the Temporal server on the embedded PostgreSQL; with DATABASE_URL set, start your Temporal server yourself and set TEMPORAL_ADDRESS');
  }
  if (temporalKindWanted === 'server' && !env.TEMPORAL_ADDRESS) temporalServerInstall(); // not built: say so before anything starts

  let postgres: RunningPostgres | undefined;
  // Migrations as the owner; the API and the worker as a login role in `firebreak_app`.
  const databaseUrls: DatabaseUrls = env.DATABASE_URL ? { appUrl: env.DATABASE_URL, migrationUrl: env.MIGRATION_DATABASE_URL } : await (async () => {
    const pgDir = reachableDataDir(path.join(dataDir, 'postgres'), 'firebreak-postgres');
    postgres = await startEmbeddedPostgres({ dataDir: pgDir, port: port('POSTGRES_PORT', 5433), persistent: true });
    stops.unshift({ what: 'PostgreSQL', stop: () => postgres!.stop() });
    await postgres.createDatabase('firebreak');
    logger.info({ dataDir: pgDir }, 'embedded PostgreSQL data folder');
    return postgres.leastPrivilegeUrls('firebreak');
  })();

  let temporal: DevServer | undefined;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? (await (async () => {
    if (temporalKindWanted === 'server') {
      // Fixed ports: the server's membership table remembers them across restarts on the same databases.
      const frontend = port('TEMPORAL_PORT', 7233);
      temporal = await startTemporalServer({
        postgres: postgres!.urlFor('postgres'),
        port: frontend,
        ports: temporalServerPortsFrom(frontend),
        workDir: path.join(dataDir, 'temporal-server'),
        logFile: path.join(dataDir, 'temporal.log'),
        ownProcessGroup: true,
      });
    } else {
      temporal = await startDevServer({
        cliPath: temporalCliPath(),
        port: port('TEMPORAL_PORT', 7233),
        uiPort: port('TEMPORAL_UI_PORT', 8233),
        dbFile: path.join(dataDir, 'temporal.sqlite'),
        logFile: path.join(dataDir, 'temporal.log'),
        ownProcessGroup: true,
      });
    }
    stops.unshift({ what: 'Temporal server', stop: () => temporal!.stop() });
    return temporal.address;
  })());

  const databaseUrl = databaseUrls.appUrl;
  await prepareDatabase(databaseUrls, (msg) => logger.debug(msg));
  const pool = createPool(databaseUrl);
  stops.unshift({ what: 'database pool', stop: () => pool.end() });

  const keysFile = path.join(dataDir, 'dev-keys.json');
  // Issued keys go into the administration chain, as every key does.
  const issued = await issueDevKeys(new ApiKeyStore(pool, new AdminAudit(new AuditLog(pool))), keysFile);

  // TLS only to a server of one's own (TEMPORAL_ADDRESS); the embedded dev server speaks plain gRPC.
  const temporalTls = env.TEMPORAL_ADDRESS ? temporalTlsFromEnvironment(env) : undefined;
  const payloads = devPayloadCodec(dataDir);
  const dataConverter = dataConverterFor(payloads.codec);
  const connection = await NativeConnection.connect({ address: temporalAddress, ...(temporalTls ? { tls: temporalTls } : {}) });
  const decisionKeys = devDecisionKeys(dataDir);
  const workflowBundle = await bundleIncidentWorkflows({ workflowsPath: incidentWorkflowsPath(), keyring: decisionKeys.keyring, logger: bundlerLogger(logger) });
  const worker = await createIncidentWorker({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default', pool, workflowBundle, payloadCodec: payloads.codec });
  await ensureWeeklyReportSchedule(new Client({ connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default', dataConverter }));
  const workerRun = worker.run();
  stops.unshift({ what: 'worker', stop: async () => {
    // The SDK's runtime already drains the worker on SIGINT/SIGTERM; shut it down only if not.
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
    await connection.close();
  } });
  // The checkpoint signer: a role and a key of its own, which the API and the worker do not get.
  const signer = await startDevSigner({ dataDir, env, connection, namespace: env.TEMPORAL_NAMESPACE ?? 'default', appUrl: databaseUrl, migrationUrl: databaseUrls.migrationUrl, logger, bundlerLogger: bundlerLogger(logger) });
  if (signer) stops.unshift({ what: 'checkpoint signer', stop: () => signer.stop() });

  // Console sign-in: the identity provider in FIREBREAK_OIDC_ISSUER, or a local one with the demo users.
  const apiHost = env.HOST ?? '127.0.0.1';
  const apiPort = port('PORT', 8080);
  const apiUrl = `http://${apiHost}:${apiPort}`;
  let oidc = oidcSettingsFromEnvironment(env, apiUrl);
  let oidcNote = env.FIREBREAK_OIDC_ISSUER ? `signs in at ${env.FIREBREAK_OIDC_ISSUER}` : '';
  if (!env.FIREBREAK_OIDC_ISSUER) {
    const oidcPort = port('OIDC_PORT', 8091);
    // Checked before it starts: the provider registers the console's redirect URI at the public origin.
    const local = oidcSettingsFromEnvironment({ ...env, FIREBREAK_OIDC_ISSUER: `http://127.0.0.1:${oidcPort}`, FIREBREAK_OIDC_CLIENT_ID: 'firebreak-console' }, apiUrl)!;
    const provider = await startDevOidcProvider({ apiUrl: local.publicOrigin, host: '127.0.0.1', port: oidcPort });
    stops.unshift({ what: 'OpenID provider', stop: () => provider.close() });
    oidc = { ...local, issuer: provider.issuer, clientId: provider.clientId };
    oidcNote = 'sign in as responder, manager, ciso, auditor or admin; password firebreak';
  }

  const api = await startApi({
    pool,
    logger,
    temporalAddress,
    temporalNamespace: env.TEMPORAL_NAMESPACE ?? 'default',
    host: apiHost,
    port: apiPort,
    oidc,
    decisionSigner: decisionKeys.signer,
    ...(signer ? { checkpointKeys: signer.keys } : {}),
    temporalTls,
    payloadCodec: payloads.codec,
  });
  stops.unshift({ what: 'API', stop: () => api.close() });

  const connectionFile = devStackFile(env);
  writeDevStackConnection(connectionFile, { databaseUrl, temporalAddress, apiUrl: api.url });
  stops.unshift({ what: 'connection file', stop: async () => removeDevStackConnection(connectionFile) });

  console.log(
    [
      '',
      'Firebreak is up.',
      `  API          ${api.url}`,
      `  Console      ${oidc?.publicOrigin ?? api.url}/console (${oidcNote})`,
      ...(env.FIREBREAK_OIDC_ISSUER ? [] : [`  OpenID       ${oidc!.issuer} (the local identity provider the console signs in at)`]),
      `  Temporal     ${temporalAddress}${env.TEMPORAL_ADDRESS ? '' : ` (${TEMPORAL_LABELS[temporalKindWanted]})`}`,
      `  Temporal UI  ${temporal?.uiUrl ?? (temporal ? '(none: the server has no UI of its own)' : '(external server)')}`,
      `  PostgreSQL   ${databaseUrl.replace(/:[^:@/]+@/, ':***@')}`,
      `  API keys     ${keysFile}${issued ? ' (just issued: one per role)' : ''}`,
      `  Payload key  ${payloads.file ?? 'FIREBREAK_PAYLOAD_KEYS'} (encrypts what Temporal stores: ${payloads.codec.encryptingKeyId})`,
      `  Connection   ${connectionFile} (npm run create-key reads it)`,
      `  Checkpoints  ${signer ? `${signer.exportDir} (signed audit checkpoints${signer.keyFile ? `, key in ${signer.keyFile}` : ''})` : 'off (see the warning above)'}`,
      `  Log level    ${level} (LOG_LEVEL=debug adds health probes, metric scrapes and the workflow bundler)`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
}

let logger: Logger;
try {
  logger = createLogger(logLevelFrom(env), 'firebreak');
} catch (err) {
  console.error('Firebreak failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
}
main(logger).catch(async (err: unknown) => {
  console.error('Firebreak failed to start:', err instanceof Error ? err.message : err);
  // Whatever did start (the Temporal server, PostgreSQL) must not outlive this process.
  await stopAll(logger, 1, false);
});
