import { Client } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createPool } from '../src/db/pool';
import { createLogger } from '../src/logger';
import { loadSignerConfig } from '../src/signer/signer-config';
import { checkpointTaskQueue, createSignerWorker } from '../src/signer/signer-worker';
import { temporalConnectionOptions } from '../src/temporal/connection-options';
import { installTemporalRuntimeLogging } from '../src/temporal/runtime-logging';
import { ensureCheckpointSchedule } from '../src/temporal/schedules';

/**
 * Entry point of the checkpoint signer: `node dist/workers/checkpoint-signer.js`. It runs apart from
 * the API and the incident workers, with its own database role (SIGNER_DATABASE_URL) and its own
 * key (FIREBREAK_CHECKPOINT_SIGNING_KEY), which neither of them has.
 */
async function main(): Promise<void> {
  const config = loadSignerConfig();
  const logger = createLogger(config.logLevel, 'firebreak-signer');
  installTemporalRuntimeLogging(logger, config.logLevel);
  const pool = createPool(config.databaseUrl);
  const connection = await NativeConnection.connect(temporalConnectionOptions(process.env, config.temporalAddress));
  const worker = await createSignerWorker({ connection, namespace: config.temporalNamespace, pool, key: config.key, taskQueue: config.taskQueue, exportDir: config.exportDir, logger });
  const taskQueue = checkpointTaskQueue(config.taskQueue);
  await ensureCheckpointSchedule(new Client({ connection, namespace: config.temporalNamespace }), { taskQueue, every: config.every });
  logger.info({ taskQueue, every: config.every, keyId: config.key.keyId, exportDir: config.exportDir }, 'checkpoint signer polling');
  await worker.run();
  await connection.close();
  await pool.end();
}

main().catch((err: unknown) => {
  console.error('checkpoint signer failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
