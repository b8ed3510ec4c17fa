import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import ipaddr from 'ipaddr.js';
import { Batched } from '../batched';
import { ROLES, type Role } from '../domain/principal';
import { principalOf } from './auth';
import { HttpProblem } from './problem';

/** Requests per minute per API key, by role. Integrations report storms; people click. */
export type RateLimits = Record<Role, number>;

export const DEFAULT_RATE_LIMITS: RateLimits = {
  integration: 60_000,
  responder: 600,
  manager: 600,
  auditor: 600,
  admin: 120,
};

/**
 * Per client address, per minute, counted before the key is looked up: every request, and
 * requests refused 401. A flood of bad keys from one address stops reaching the key lookup once
 * its failures are spent; the request budget is above any one key's, since one address may carry
 * several integrations. The request budget is counted in each replica's memory: a check before
 * authentication that wrote to PostgreSQL would hand anyone a database write per request (and one
 * hot row per address made a 5,000-alert storm three times slower). Failures are shared.
 */
export interface AddressLimits {
  requests: number;
  failedAuthentications: number;
}

export const DEFAULT_ADDRESS_LIMITS: AddressLimits = { requests: 120_000, failedAuthentications: 60 };

/** The table rate-limiter-flexible keeps its counts in (created by migration 0013, not by the library). */
export const RATE_LIMIT_TABLE = 'rate_limits';
const WINDOW_SECONDS = 60;

/**
 * Every limit of an API process, counted in PostgreSQL (rate-limiter-flexible's RateLimiterPostgres)
 * so that all replicas on one database share one budget per key and per address. While PostgreSQL
 * cannot be reached, each limiter falls back to counting in this process (its insurance limiter);
 * the request then fails on the key lookup with the usual 503 anyway.
 */
export class RateLimiters {
  private readonly perKey: Record<Role, GroupedConsumer>;
  private readonly perAddress: RateLimiterMemory;
  private readonly failedPerAddress: RateLimiterPostgres;

  constructor(
    pool: Pool,
    readonly keyLimits: RateLimits = DEFAULT_RATE_LIMITS,
    readonly addressLimits: AddressLimits = DEFAULT_ADDRESS_LIMITS,
  ) {
    // One of them clears expired rows of the shared table every few minutes; the others need not.
    // An address that has spent a budget is then refused from memory for the rest of its window,
    // so a flood from it costs this replica no query at all.
    const shared = (keyPrefix: string, points: number, { clearExpired = false, blockInMemoryAt = 0 } = {}) =>
      new RateLimiterPostgres({
        storeClient: pool,
        storeType: 'pool',
        tableName: RATE_LIMIT_TABLE,
        tableCreated: true,
        clearExpiredByTimeout: clearExpired,
        keyPrefix,
        points,
        duration: WINDOW_SECONDS,
        inMemoryBlockOnConsumed: blockInMemoryAt,
        insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: WINDOW_SECONDS }),
      });
    this.perKey = Object.fromEntries(ROLES.map((role) => [role, new GroupedConsumer(shared(`key-${role}`, keyLimits[role]), keyLimits[role])])) as Record<Role, GroupedConsumer>;
    this.perAddress = new RateLimiterMemory({ keyPrefix: 'address', points: addressLimits.requests, duration: WINDOW_SECONDS });
    // A replica blocks an address in memory once the shared count of its failures reaches the budget.
    this.failedPerAddress = shared('address-401', addressLimits.failedAuthentications, { clearExpired: true, blockInMemoryAt: addressLimits.failedAuthentications });
  }

  /** Before authentication: the address's request budget, and its budget of failed authentications. */
  readonly limitPerAddress: RequestHandler = async (req, _res, next) => {
    const address = clientAddress(req);
    const badKeys = `this address sent ${this.addressLimits.failedAuthentications} requests with a bad key within a minute`;
    const blockedMs = inMemoryBlockMs(this.failedPerAddress, address);
    if (blockedMs > 0) throw tooMany(new RateLimiterRes(0, blockedMs), badKeys);
    const used = await consume(this.perAddress, address);
    if ('refused' in used) throw tooMany(used.res, `this address may make ${this.addressLimits.requests} requests a minute`);
    next();
  };

  /** After authentication: counts a 401 against the address, then passes the problem on. */
  readonly countFailedAuthentication: ErrorRequestHandler = (err, req, _res, next) => {
    if (!(err instanceof HttpProblem) || err.status !== 401) return next(err);
    consume(this.failedPerAddress, clientAddress(req)).then(
      () => next(err),
      (failure: unknown) => next(failure),
    );
  };

  /** After authentication: the key's budget, by its role. */
  readonly limitPerKey: RequestHandler = async (req, res, next) => {
    const principal = principalOf(req);
    const limit = this.keyLimits[principal.role];
    const used = await this.perKey[principal.role].consume(principal.keyId);
    if ('refused' in used) throw tooMany(used.res, `this key may make ${limit} requests a minute`);
    setRateLimitHeaders(res, 'key', limit, used);
    next();
  };
}

/** How long this process still refuses `key` from memory (rate-limiter-flexible's in-memory block; `get` does not consult it). */
function inMemoryBlockMs(limiter: RateLimiterPostgres, key: string): number {
  return (limiter as unknown as { getInMemoryBlockMsBeforeExpire(rlKey: string): number }).getInMemoryBlockMsBeforeExpire(limiter.getKey(key));
}

/** The address the limits count by: the socket's, or the one Express's `trust proxy` setting takes from X-Forwarded-For. */
function clientAddress(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

type Consumed = RateLimiterRes | { refused: true; res: RateLimiterRes };

/** Points consumed, or the refusal with when to retry; a store failure the insurance could not absorb is thrown. */
async function consume(limiter: RateLimiterAbstract, key: string, points = 1): Promise<Consumed> {
  try {
    return await limiter.consume(key, points);
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return { refused: true, res: outcome };
    throw outcome;
  }
}

/**
 * What one request of a group gets when the group consumed its points together: `after` is the
 * count once the whole group was added, so the group began at `after - size`, and the request at
 * `position` (0 first, in arrival order) took the point after its predecessors'. The same answer
 * each would have had consuming alone, one after the other.
 */
export function shareOfGroup(limit: number, after: RateLimiterRes, size: number, position: number): Consumed {
  const consumed = after.consumedPoints - size + position + 1;
  const res = new RateLimiterRes(Math.max(0, limit - consumed), after.msBeforeNext, consumed, after.isFirstInDuration && position === 0);
  return consumed <= limit ? res : { refused: true, res };
}

/**
 * A shared limiter whose concurrent requests of one key consume together: the requests an API
 * process takes in at once (an integration's storm, nearly all from one key) cost its key's row one
 * upsert and one commit, where each cost its own, and wait on that row's lock once. The stored count
 * and every answer are those of one consume per request (shareOfGroup).
 */
export class GroupedConsumer {
  private readonly batched = new Batched<string, Consumed | { failed: unknown }>((keys) => this.consumeGroups(keys));

  constructor(
    private readonly limiter: RateLimiterAbstract,
    private readonly limit: number,
  ) {}

  async consume(key: string): Promise<Consumed> {
    const outcome = await this.batched.add(key);
    if ('failed' in outcome) throw outcome.failed;
    return outcome;
  }

  /** A key whose consume failed fails its own requests only, as each request's own consume did. */
  private async consumeGroups(keys: string[]): Promise<Array<Consumed | { failed: unknown }>> {
    const positions = new Map<string, number[]>();
    for (const [at, key] of keys.entries()) {
      const ats = positions.get(key);
      if (ats) ats.push(at);
      else positions.set(key, [at]);
    }
    const answers: Array<Consumed | { failed: unknown }> = [];
    await Promise.all(
      [...positions].map(async ([key, ats]) => {
        let used: Consumed;
        try {
          used = await consume(this.limiter, key, ats.length);
        } catch (failed) {
          for (const at of ats) answers[at] = { failed };
          return;
        }
        const after = 'refused' in used ? used.res : used;
        // A refusal that counted nothing (a block held in memory) refuses the whole group.
        const uncounted = 'refused' in used && after.consumedPoints < ats.length;
        ats.forEach((at, position) => (answers[at] = uncounted ? used : shareOfGroup(this.limit, after, ats.length, position)));
      }),
    );
    return answers;
  }
}

/** The IETF draft's RateLimit-Policy and RateLimit headers: the quota, what is left, seconds until it resets. */
function setRateLimitHeaders(res: Response, policy: string, limit: number, used: RateLimiterRes): void {
  res.set('RateLimit-Policy', `"${policy}";q=${limit};w=${WINDOW_SECONDS}`);
  res.set('RateLimit', `"${policy}";r=${used.remainingPoints};t=${Math.max(0, Math.ceil(used.msBeforeNext / 1000))}`);
}

function tooMany(res: RateLimiterRes, what: string): HttpProblem {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return new HttpProblem(429, 'rate-limited', 'Too many requests', `${what}; retry in ${seconds} s`, { headers: { 'Retry-After': String(seconds) } });
}

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * FIREBREAK_TRUST_PROXY, for Express's `trust proxy`: how many proxies in front of the API (a
 * number), or which addresses are proxies (`loopback`, `linklocal`, `uniquelocal`, addresses and
 * CIDR ranges, comma-separated). Unset: the socket's address is the client's, so behind a proxy
 * every client would share the proxy's per-address budget.
 */
export function trustProxyFromEnvironment(env: NodeJS.ProcessEnv = process.env): number | string | undefined {
  const value = env.FIREBREAK_TRUST_PROXY?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value) && Number(value) <= 10) return Number(value);
  const entries = value.split(',').map((e) => e.trim());
  const bad = entries.find((e) => !PROXY_NAMES.has(e) && !isAddressOrRange(e));
  if (bad !== undefined) {
    throw new Error(`FIREBREAK_TRUST_PROXY must be a number of proxies (0-10) or comma-separated loopback, linklocal, uniquelocal, addresses and CIDR ranges; "${bad}" is none of those`);
  }
  return entries.join(',');
}

function isAddressOrRange(entry: string): boolean {
  try {
    if (entry.includes('/')) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return true;
  } catch {
    return false;
  }
}
