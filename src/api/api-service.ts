import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client, type TLSConfig } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { AlertRegister } from '../db/alert-register';
import { ApiKeyStore, type KeyRow } from '../db/api-key-store';
import { ApiKeyCache } from '../db/api-key-cache';
import { AdminAudit } from '../db/admin-audit';
import { HistorySource } from '../audit/history-source';
import { AuditLog } from '../db/audit-log';
import { AnchoredAudit } from '../audit/anchored-audit';
import { checkpointKeysFromEnvironment, type CheckpointKeyring } from '../audit/checkpoints';
import { CheckpointStore } from '../db/checkpoint-store';
import { IdempotencyStore } from '../db/idempotency-store';
import { ReportRepository } from '../db/report-repository';
import { PlaybookStore } from '../db/playbook-store';
import { Roster } from '../db/roster';
import { TASK_QUEUE } from '../temporal/contract';
import { TemporalReachability } from '../temporal/reachability';
import { LazyNativeConnection } from '../temporal/lazy-native-connection';
import { dataConverterFor } from '../temporal/payload-codec';
import { ReplayRequests } from '../audit/replay-requests';
import { IncidentRepository } from '../db/incident-repository';
import { TaskRegister } from '../db/task-register';
import type { PolicyTable } from '../domain/policy';
import { loadPolicy, loadRegulatoryConfig } from '../policy-file';
import { createApp } from './app';
import { DecisionSigner, decisionSigningInterceptor } from '../decision-keys';
import { IncidentDecisions } from './incident-decisions';
import { Intake } from './intake';
import { ApiMetrics } from './metrics';
import { RateLimiters, type AddressLimits, type RateLimits } from './rate-limit';
import { DeniedRequests } from './denials';
import { DenialRegister } from '../db/denial-register';
import { counterPool, RESERVED_CONNECTIONS, siblingPool } from '../db/pool';
import { SessionStore } from '../db/session-store';
import type { OidcSettings } from './oidc-login';
import { IncidentChangeFeed } from '../db/incident-change-feed';
import { LiveEvents } from './live-events';

/** A readiness probe must answer quickly, whatever the dependency does. */
const READY_CHECK_MS = 2_000;

export interface ApiServiceOptions {
  /** Signs every decision the API sends (the workflows refuse unsigned ones); by default FIREBREAK_DECISION_SIGNING_KEY. */
  decisionSigner?: DecisionSigner;
  pool: Pool;
  temporalAddress: string;
  temporalNamespace: string;
  /** TLS or mTLS to Temporal (src/temporal/connection-options.ts); absent: plain gRPC. */
  temporalTls?: TLSConfig;
  /** Encrypts what the API sends to Temporal and decodes what it reads back (FIREBREAK_PAYLOAD_KEYS). */
  payloadCodec?: PayloadCodec;
  /** Bearer token /metrics requires (METRICS_TOKEN); absent: /metrics is open. */
  metricsToken?: string;
  /** Temporal UI origins allowed to call the codec endpoint (FIREBREAK_CODEC_CORS_ORIGINS). */
  codecCorsOrigins?: readonly string[];
  host: string;
  port: number;
  logger: Logger;
  policy?: PolicyTable;
  /** Where new incidents are started; tests give each suite its own. */
  taskQueue?: string;
  rateLimits?: RateLimits;
  /** Per client address, before the key is looked up; DEFAULT_ADDRESS_LIMITS when absent. */
  addressLimits?: AddressLimits;
  /** Connections for authentication, rate limits and decisions; absent: RESERVED_CONNECTIONS more to `pool`'s database, closed with the API. */
  reservedPool?: Pool;
  /** Express's `trust proxy` (FIREBREAK_TRUST_PROXY): who may say the client's address in X-Forwarded-For. */
  trustProxy?: number | string;
  /** How long a window of denials is counted before its audit entry is written (a minute; tests shorten it). */
  denialWindowMs?: number;
  /** The clock denial windows are counted by; tests move it instead of sleeping. */
  denialClock?: () => Date;
  /** How long a replay request waits for its verdict before answering 202 (FIREBREAK_REPLAY_ANSWER_WITHIN_MS by default). */
  replayAnswerWithinMs?: number;
  /** The keys audit checkpoints are verified with (FIREBREAK_CHECKPOINT_VERIFY_KEYS by default); none: checkpoints are not used as an anchor. */
  checkpointKeys?: CheckpointKeyring;
  /** Console sign-in through OpenID Connect (oidcSettingsFromEnvironment); absent: API keys only. */
  oidc?: OidcSettings;
}

export interface RunningApi {
  url: string;
  app: Express;
  close(): Promise<void>;
}

/** Wires the Express app to Temporal and PostgreSQL and listens; `close` drains in-flight requests. */
export async function startApi(options: ApiServiceOptions): Promise<RunningApi> {
  // Lazy: the API starts (and /readyz says why it is not ready) while Temporal is still down. On the
  // SDK's core, as the worker's: half the client's CPU per call of the grpc-js connection.
  const tls = options.temporalTls ? { tls: options.temporalTls } : {};
  const connection = new LazyNativeConnection({ address: options.temporalAddress, ...tls });
  const reachability = TemporalReachability.watch(options.temporalAddress, tls);
  const dataConverter = dataConverterFor(options.payloadCodec);
  const signer = options.decisionSigner ?? DecisionSigner.fromEnvironment();
  const client = new Client({
    connection,
    namespace: options.temporalNamespace,
    interceptors: { workflow: [decisionSigningInterceptor(signer)] },
    ...(dataConverter ? { dataConverter } : {}),
  });
  const incidents = new IncidentRepository(options.pool);
  const metrics = new ApiMetrics();
  const auditLog = new AuditLog(options.pool);
  // Keys issued and revoked and roster changes go into the administration chain.
  const adminAudit = new AdminAudit(auditLog);
  const taskQueue = options.taskQueue ?? TASK_QUEUE;
  // Authentication, rate limits and decisions use connections of their own, so an intake flood
  // holding every connection of `pool` cannot starve them.
  const reserved = options.reservedPool ?? siblingPool(options.pool, RESERVED_CONNECTIONS);
  const decisionIncidents = new IncidentRepository(reserved);
  const denials = new DenialRegister(reserved, new AuditLog(reserved), { windowMs: options.denialWindowMs, now: options.denialClock });
  const deniedRequests = new DeniedRequests({ register: denials, incidentExists: (id) => decisionIncidents.exists(id), logger: options.logger });
  const stopAppendingDenials = deniedRequests.appendPeriodically(Math.min(denials.windowMs / 4, 15_000));
  const counters = counterPool(options.pool);
  // One LISTEN connection per process feeds every console's event stream.
  const changeFeed = await IncidentChangeFeed.start(options.pool.options, options.logger);
  // And one that drops an authenticated key from this process's cache when any replica changes it.
  const keyCache = await ApiKeyCache.start<KeyRow>(options.pool.options, options.logger);
  const liveEvents = new LiveEvents({ feed: changeFeed });
  const app = createApp({
    liveEvents,
    logger: options.logger,
    keys: new ApiKeyStore(reserved, adminAudit, keyCache),
    intake: new Intake(client, reachability, new AlertRegister(options.pool), options.policy ?? loadPolicy(), taskQueue),
    decisions: new IncidentDecisions(client, reachability, decisionIncidents, new AuditLog(reserved), new TaskRegister(reserved), metrics),
    incidents,
    auditLog,
    anchoredAudit: new AnchoredAudit(auditLog, new CheckpointStore(options.pool), options.checkpointKeys ?? checkpointKeysFromEnvironment()),
    histories: new HistorySource(client, options.pool, reachability, options.payloadCodec),
    payloadCodec: options.payloadCodec,
    metricsToken: options.metricsToken,
    codecCorsOrigins: options.codecCorsOrigins,
    regulatory: loadRegulatoryConfig(),
    roster: new Roster(options.pool, adminAudit),
    playbooks: new PlaybookStore(options.pool),
    reports: new ReportRepository(options.pool),
    pool: options.pool,
    replays: new ReplayRequests(client, reachability, { taskQueue, ...(options.replayAnswerWithinMs === undefined ? {} : { answerWithinMs: options.replayAnswerWithinMs }) }),
    idempotency: new IdempotencyStore(reserved),
    metrics,
    rateLimits: options.rateLimits,
    rateLimiters: new RateLimiters(counters, options.rateLimits, options.addressLimits),
    deniedRequests,
    trustProxy: options.trustProxy,
    // Sessions are looked up with every console request: on the connections kept for authentication.
    ...(options.oidc ? { oidc: { settings: options.oidc, sessions: new SessionStore(reserved) } } : {}),
    ready: async () => {
      await options.pool.query('SELECT 1').catch(() => Promise.reject(new Error('PostgreSQL')));
      // Known down: say since when, at once. Otherwise ask, within the probe's own limit.
      if (!reachability.reachable) throw new Error(`Temporal (no answer since ${reachability.downSince?.toISOString()})`);
      await connection
        .withDeadline(Date.now() + READY_CHECK_MS, () => connection.workflowService.getSystemInfo({}))
        .catch(() => Promise.reject(new Error('Temporal')));
    },
  });
  const server: Server = app.listen(options.port, options.host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}`,
    app,
    async close() {
      // Event streams never end by themselves: end them first, or the server waits for them.
      liveEvents.closeAll();
      await changeFeed.close();
      await keyCache.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await reachability.close();
      await connection.close();
      stopAppendingDenials();
      if (!options.reservedPool) await reserved.end();
      await counters.end();
    },
  };
}
