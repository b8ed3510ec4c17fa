import { z } from 'zod';
import { CHECKPOINT_SIGNING_KEY_ENV, parseSigningKey, type CheckpointSigningKey } from '../audit/checkpoints';
import { parseEnvironment } from '../config';
import { TASK_QUEUE } from '../temporal/contract';
import { LOG_LEVELS } from '../logger';

/** A variable that must be set, and not empty, with what to do about it. */
const required = (message: string) => z.string({ error: message }).min(1, message);

const SignerEnvSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default(TASK_QUEUE),
  SIGNER_DATABASE_URL: required('is required: the signer connects with its own credentials (a login role in firebreak_signer)'),
  [CHECKPOINT_SIGNING_KEY_ENV]: required('is required (npm run checkpoints -- keygen <key id> makes a key pair)'),
  FIREBREAK_CHECKPOINT_EVERY: z.string().regex(/^\d+(s|m|h|d)$/, 'a whole number of s, m, h or d, e.g. 15m').default('15m'),
  FIREBREAK_CHECKPOINT_DIR: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export interface SignerConfig {
  temporalAddress: string;
  temporalNamespace: string;
  taskQueue: string;
  databaseUrl: string;
  key: CheckpointSigningKey;
  /** How often the Schedule signs a checkpoint, as Temporal reads it (`15m`). */
  every: string;
  exportDir?: string;
  logLevel: z.infer<typeof SignerEnvSchema>['LOG_LEVEL'];
}

/** The signer's environment; it has neither DATABASE_URL nor the API's keys, and needs neither. */
export function loadSignerConfig(env: NodeJS.ProcessEnv = process.env): SignerConfig {
  const e = parseEnvironment(SignerEnvSchema, env);
  return {
    temporalAddress: e.TEMPORAL_ADDRESS,
    temporalNamespace: e.TEMPORAL_NAMESPACE,
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    databaseUrl: e.SIGNER_DATABASE_URL,
    key: parseSigningKey(e[CHECKPOINT_SIGNING_KEY_ENV]),
    every: e.FIREBREAK_CHECKPOINT_EVERY,
    ...(e.FIREBREAK_CHECKPOINT_DIR ? { exportDir: e.FIREBREAK_CHECKPOINT_DIR } : {}),
    logLevel: e.LOG_LEVEL,
  };
}
