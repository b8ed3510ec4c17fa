import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { startApi, type ApiServiceOptions, type RunningApi } from '../../src/api/api-service';
import type { AddressLimits, RateLimits } from '../../src/api/rate-limit';
import { createApiPools, type ApiPools } from '../../src/db/pool';
import type { Adapters } from '../../src/adapters/ports';
import { ApiKeyStore } from '../../src/db/api-key-store';
import type { PolicyTable } from '../../src/domain/policy';
import { ROLES, type Role } from '../../src/domain/principal';
import { createIncidentWorker } from '../../src/worker/incident-worker';
import { freshDatabase, type TestDatabase } from './database';
import { testEnv } from './servers';
import { incidentWorkflowBundle } from './workflow-bundle';
import type { PayloadCodec } from '@temporalio/common';
import { TEST_PAYLOAD_CODEC } from './payload-keys';

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: any;
}

export interface TestStack {
  db: TestDatabase;
  /** A client on the stack's Temporal server, for what tests check behind the API. */
  temporal: Client;
  api: RunningApi;
  taskQueue: string;
  /** One key per role, named `test-<role>`. */
  keys: Record<Role, string>;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** Another API process on the same database and Temporal (a replica), closed with the stack. */
  startReplica(): Promise<RunningApi>;
  close(): Promise<void>;
}

export interface TestStackOptions {
  temporalAddress?: string;
  policy?: PolicyTable;
  rateLimits?: RateLimits;
  /** Outside systems for the worker; dry-run by default. */
  adapters?: Partial<Adapters>;
  /** Encrypts payloads in the worker, the API and `temporal` (the test key by default); `false`: plain payloads. */
  payloadCodec?: PayloadCodec | false;
  /** METRICS_TOKEN for the API; none by default (an open /metrics). */
  metricsToken?: string;
  /** FIREBREAK_CODEC_CORS_ORIGINS for the API. */
  codecCorsOrigins?: string[];
  /** The API's logger; silent by default. */
  logger?: Logger;
  addressLimits?: AddressLimits;
  /** The API's connections (its own pools, not the worker's): at most `max`, `reserved` of them for authentication and decisions. */
  apiPools?: { max: number; reserved: number };
  /** How long denials are counted before their audit entry is written; 1 s by default, so a test sees the entry. */
  denialWindowMs?: number;
  denialClock?: () => Date;
  /** Express's `trust proxy` for the API, so a test can speak for several client addresses through X-Forwarded-For. */
  trustProxy?: number | string;
}

/**
 * The real thing, per suite: a fresh database, a worker on its own task queue and the Express
 * app listening on a free port, all against the run's dev server unless another is given.
 */
export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const temporalAddress = options.temporalAddress ?? testEnv('temporalAddress');
  const taskQueue = `test-${randomBytes(6).toString('hex')}`;
  const payloadCodec = options.payloadCodec === false ? undefined : (options.payloadCodec ?? TEST_PAYLOAD_CODEC);
  const db = await freshDatabase();
  const keyStore = new ApiKeyStore(db.pool);
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = (await keyStore.create(`test-${role}`, role)).token;

  let worker: { worker: Worker; run: Promise<void>; connection: NativeConnection } | undefined;
  const startWorker = async () => {
    const connection = await NativeConnection.connect({ address: temporalAddress });
    const w = await createIncidentWorker({ connection, namespace: 'default', pool: db.pool, taskQueue, adapters: options.adapters, payloadCodec, workflowBundle: await incidentWorkflowBundle() });
    worker = { worker: w, run: w.run(), connection };
  };
  const stopWorker = async () => {
    if (!worker) return;
    const { worker: w, run, connection } = worker;
    worker = undefined;
    w.shutdown();
    await run;
    await connection.close();
  };

  await startWorker();
  const apiPools: ApiPools | undefined = options.apiPools && createApiPools(db.url, options.apiPools);
  const apiOptions: ApiServiceOptions = {
    pool: apiPools?.pool ?? db.pool,
    ...(apiPools ? { reservedPool: apiPools.reserved } : {}),
    addressLimits: options.addressLimits,
    denialWindowMs: options.denialWindowMs ?? 1_000,
    denialClock: options.denialClock,
    trustProxy: options.trustProxy,
    temporalAddress,
    temporalNamespace: 'default',
    host: '127.0.0.1',
    port: 0,
    logger: options.logger ?? pino({ level: 'silent' }),
    policy: options.policy,
    rateLimits: options.rateLimits,
    taskQueue,
    payloadCodec,
    metricsToken: options.metricsToken,
    codecCorsOrigins: options.codecCorsOrigins,
  };
  const api = await startApi(apiOptions);
  const replicas: RunningApi[] = [];

  const clientConnection = await Connection.connect({ address: temporalAddress });
  return {
    db,
    temporal: new Client({ connection: clientConnection, ...(payloadCodec ? { dataConverter: { payloadCodecs: [payloadCodec] } } : {}) }),
    api,
    taskQueue,
    keys,
    startWorker,
    stopWorker,
    request: (method, path, options) => httpRequest(api.url, method, path, options),
    async startReplica() {
      const replica = await startApi(apiOptions);
      replicas.push(replica);
      return replica;
    },
    async close() {
      await clientConnection.close();
      for (const replica of replicas) await replica.close();
      await api.close();
      await Promise.all([apiPools?.pool.end(), apiPools?.reserved.end()]);
      await stopWorker();
      await db.drop();
    },
  };
}

export interface RequestOptions {
  key?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** One HTTP call to the API with a bearer key and a JSON body; the answer's body parsed when it is JSON. */
export async function httpRequest(baseUrl: string, method: string, path: string, { key, body, headers = {} }: RequestOptions = {}): Promise<HttpResponse> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** A dedup key no other suite on the shared dev server will use. */
export function uniqueKey(label: string): string {
  return `${label}-${randomBytes(6).toString('hex')}`;
}
