import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ensureWeeklyReportSchedule } from '../src/temporal/schedules';
import { loadConfig } from '../src/config';
import { createPool } from '../src/db/pool';
import { createLogger } from '../src/logger';
import { createIncidentWorker } from '../src/worker/incident-worker';
import { temporalConnectionOptions } from '../src/temporal/connection-options';
import { installTemporalRuntimeLogging } from '../src/temporal/runtime-logging';
import { dataConverterFor, payloadCodecFromEnvironment } from '../src/temporal/payload-codec';

/** Entry point of a worker process: `node dist/workers/incident-worker.js`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'firebreak-worker');
  installTemporalRuntimeLogging(logger, config.logLevel);
  const pool = createPool(config.databaseUrl);
  const connectionOptions = temporalConnectionOptions(process.env, config.temporalAddress);
  const payloadCodec = payloadCodecFromEnvironment();
  if (!payloadCodec) logger.warn('FIREBREAK_PAYLOAD_KEYS is not set: incident details go to Temporal unencrypted');
  const connection = await NativeConnection.connect(connectionOptions);
  // Which workflow code it runs (the prebuilt bundle of npm run build, or bundled at start) goes to the worker's log.
  const workflowCodeLog = { info: (message: string, meta?: object) => logger.info(meta ?? {}, message), warn: (message: string, meta?: object) => logger.warn(meta ?? {}, message) };
  const worker = await createIncidentWorker({ connection, namespace: config.temporalNamespace, pool, taskQueue: config.taskQueue, payloadCodec, workflowCodeLog });
  const dataConverter = dataConverterFor(payloadCodec);
  await ensureWeeklyReportSchedule(new Client({ connection, namespace: config.temporalNamespace, ...(dataConverter ? { dataConverter } : {}) }), { taskQueue: config.taskQueue });
  logger.info({ taskQueue: worker.options.taskQueue, temporal: config.temporalAddress, temporalTls: Boolean(connectionOptions.tls), payloadKey: payloadCodec?.encryptingKeyId }, 'worker polling');
  // Worker.run installs SIGINT/SIGTERM handlers that drain in-flight tasks before resolving.
  await worker.run();
  await connection.close();
  await pool.end();
}

main().catch((err: unknown) => {
  console.error('worker failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
