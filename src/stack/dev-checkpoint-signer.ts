import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { Logger as SdkLogger } from '@temporalio/common';
import { bundleWorkflowCode, type NativeConnection } from '@temporalio/worker';
import type { Logger } from 'pino';
import { CHECKPOINT_SIGNING_KEY_ENV, checkpointKeysFromEnvironment, newCheckpointKeyPair, parseSigningKey, parseVerifyKeys, verifyKeyFor, type CheckpointKeyring } from '../audit/checkpoints';
import { createPool } from '../db/pool';
import { ensureSignerLogin } from '../db/signer-role';
import { checkpointTaskQueue, checkpointWorkflowsPath, createSignerWorker } from '../signer/signer-worker';
import { ensureCheckpointSchedule } from '../temporal/schedules';
import { keptKeyFile } from './kept-key-file';

/** The embedded stack's signer logs in as this role, with a password new at every start. */
const DEV_SIGNER_LOGIN = 'firebreak_checkpoint_signer';

export interface DevSigner {
  /** The keys the API trusts checkpoints under. */
  keys: CheckpointKeyring;
  keyFile?: string;
  exportDir: string;
  stop(): Promise<void>;
}

/**
 * The checkpoint signer of `make up`, in the stack's process but apart from the API and the worker:
 * its own login role in `firebreak_signer` (SIGNER_DATABASE_URL, or one made on the owner's
 * connection), its own key (FIREBREAK_CHECKPOINT_SIGNING_KEY, or one made on first start and kept
 * in the data folder), its own task queue and Schedule. Undefined when there is no way to give it a
 * role of its own (an outside DATABASE_URL without MIGRATION_DATABASE_URL or SIGNER_DATABASE_URL).
 */
export async function startDevSigner(options: {
  dataDir: string;
  env: NodeJS.ProcessEnv;
  connection: NativeConnection;
  namespace: string;
  appUrl: string;
  migrationUrl?: string;
  logger: Logger;
  /** Where the bundler's lines go (the stack keeps them at debug). */
  bundlerLogger?: SdkLogger;
}): Promise<DevSigner | undefined> {
  const { env, dataDir } = options;
  const every = env.FIREBREAK_CHECKPOINT_EVERY ?? '15m';
  if (!/^\d+(s|m|h|d)$/.test(every)) throw new Error('FIREBREAK_CHECKPOINT_EVERY: a whole number of s, m, h or d, e.g. 15m');
  let signerUrl = env.SIGNER_DATABASE_URL;
  if (!signerUrl) {
    if (!options.migrationUrl) {
      options.logger.warn('no audit checkpoints: set SIGNER_DATABASE_URL (or MIGRATION_DATABASE_URL, to make its role) to run the checkpoint signer');
      return undefined;
    }
    const url = new URL(options.appUrl);
    url.username = DEV_SIGNER_LOGIN;
    url.password = randomBytes(18).toString('base64url');
    signerUrl = url.toString();
    await ensureSignerLogin(options.migrationUrl, signerUrl);
  }
  let entry = env[CHECKPOINT_SIGNING_KEY_ENV];
  let keyFile: string | undefined;
  if (!entry) {
    keyFile = path.join(dataDir, 'checkpoint-signing-key');
    entry = keptKeyFile(keyFile, () => newCheckpointKeyPair('dev-checkpoints-1').signingKey);
  }
  const key = parseSigningKey(entry, keyFile ?? CHECKPOINT_SIGNING_KEY_ENV);
  const exportDir = env.FIREBREAK_CHECKPOINT_DIR ?? path.join(dataDir, 'checkpoints');
  const pool = createPool(signerUrl);
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: checkpointWorkflowsPath(), ...(options.bundlerLogger ? { logger: options.bundlerLogger } : {}) });
  const worker = await createSignerWorker({ connection: options.connection, namespace: options.namespace, pool, key, exportDir, logger: options.logger, workflowBundle });
  await ensureCheckpointSchedule(new Client({ connection: options.connection, namespace: options.namespace }), {
    taskQueue: checkpointTaskQueue(),
    every,
  });
  const run = worker.run();
  return {
    keys: checkpointKeysFromEnvironment(env) ?? parseVerifyKeys(verifyKeyFor(key)),
    ...(keyFile ? { keyFile } : {}),
    exportDir,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await run;
      await pool.end();
    },
  };
}
