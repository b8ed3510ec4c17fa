import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import type { Pool } from 'pg';
import { newCheckpointKeyPair, parseSigningKey, parseVerifyKeys, type CheckpointKeyring } from '../../src/audit/checkpoints';
import { CheckpointStore } from '../../src/db/checkpoint-store';
import { createPool } from '../../src/db/pool';
import { ensureSignerLogin } from '../../src/db/signer-role';
import { createCheckpointActivities, type CheckpointActivities } from '../../src/signer/activities';
import { checkpointTaskQueue, createSignerWorker } from '../../src/signer/signer-worker';
import { testEnv } from './servers';

/** The login role every suite's signer connects as, in the group `firebreak_signer`. */
const TEST_SIGNER_LOGIN = { user: 'firebreak_test_signer', password: 'firebreak-test-signer' };

/** The suite database's URL as its owner (the server's superuser, who ran the migrations). */
export function ownerUrlOf(databaseUrl: string): string {
  const name = new URL(databaseUrl).pathname.slice(1);
  return testEnv('postgresAdminUrl').replace(/\/postgres$/, `/${name}`);
}

function asUser(url: string, login: { user: string; password: string }): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(login.user);
  parsed.password = encodeURIComponent(login.password);
  return parsed.toString();
}

export interface TestSigner {
  /** The signer's own pool: its login role, in `firebreak_signer`. */
  pool: Pool;
  keys: CheckpointKeyring;
  verifyKeys: string;
  exportDir: string;
  /** The signer's activity, called directly: one checkpoint now. */
  activities: CheckpointActivities;
  taskQueue: string;
  startWorker(): Promise<void>;
  client(): Client;
  close(): Promise<void>;
}

/** A checkpoint signer for a suite's database and task queue, with a fresh key and an export folder of its own. */
export async function startTestSigner(databaseUrl: string, deploymentQueue: string, pair = newCheckpointKeyPair(`test-signer-${randomBytes(3).toString('hex')}`)): Promise<TestSigner> {
  const ownerUrl = ownerUrlOf(databaseUrl);
  const signerUrl = asUser(ownerUrl, TEST_SIGNER_LOGIN);
  await ensureSignerLogin(ownerUrl, signerUrl);
  const key = parseSigningKey(pair.signingKey);
  const pool = createPool(signerUrl);
  const exportDir = path.join(testEnv('workDir'), `checkpoints-${randomBytes(4).toString('hex')}`);
  const activities = createCheckpointActivities({ store: new CheckpointStore(pool), key, exportDir });
  let running: { worker: Worker; run: Promise<void>; connection: NativeConnection } | undefined;
  let client: Client | undefined;
  return {
    pool,
    keys: parseVerifyKeys(pair.verifyKey),
    verifyKeys: pair.verifyKey,
    exportDir,
    activities,
    taskQueue: checkpointTaskQueue(deploymentQueue),
    async startWorker() {
      const connection = await NativeConnection.connect({ address: testEnv('temporalAddress') });
      const worker = await createSignerWorker({ connection, namespace: 'default', pool, key, taskQueue: deploymentQueue, exportDir });
      running = { worker, run: worker.run(), connection };
      client = new Client({ connection });
    },
    client() {
      if (!client) throw new Error('start the signer worker first');
      return client;
    },
    async close() {
      if (running) {
        running.worker.shutdown();
        await running.run;
        await running.connection.close();
      }
      await pool.end();
    },
  };
}
