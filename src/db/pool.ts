import { Pool, type PoolConfig } from 'pg';

/**
 * Intake holds a connection while Temporal accepts the alert, so the pool bounds concurrent intake;
 * 25 per process leaves room under PostgreSQL's default of 100 connections for an API and a worker
 * or two.
 */
export function createPool(connectionString: string, max = 25): Pool {
  return poolWith({ connectionString, max });
}

/** Connections an API process keeps for authentication, rate limits and decisions. */
export const RESERVED_CONNECTIONS = 5;

/**
 * An API process's connections in two pools: `pool` for intake, lists and reports, and `reserved`
 * for what must keep answering while a flood of intake holds every connection of the first:
 * the key lookup, the rate limits and decisions. Together they keep to `max`.
 */
export interface ApiPools {
  pool: Pool;
  reserved: Pool;
}

export function createApiPools(connectionString: string, { max = 25, reserved = RESERVED_CONNECTIONS }: { max?: number; reserved?: number } = {}): ApiPools {
  if (reserved < 1 || reserved >= max) throw new Error(`the reserved connections (${reserved}) must be at least 1 and fewer than the pool's ${max}`);
  return { pool: createPool(connectionString, max - reserved), reserved: createPool(connectionString, reserved) };
}

/** Connections an API process keeps for its rate-limit counters. */
export const COUNTER_CONNECTIONS = 5;

/** A pool of `max` connections to the same database as `pool`, with the same settings. */
export function siblingPool(pool: Pool, max: number, settings: Pick<PoolConfig, 'options'> = {}): Pool {
  const { options } = pool as Pool & { options: PoolConfig };
  // The password is not enumerable there (pg keeps it out of logs): copy it by name.
  return poolWith({ ...options, password: options.password, max, ...settings });
}

/**
 * Connections for rate-limit counters, which commit without waiting for the disk: every request of
 * one key updates that key's one row, so with synchronous commits each waited for the previous
 * one's WAL flush (a 5,000-alert storm took three times as long). A crash may forget the last
 * counts of a minute; nothing else is written through these connections.
 */
export function counterPool(pool: Pool, max = COUNTER_CONNECTIONS): Pool {
  return siblingPool(pool, max, { options: '-c synchronous_commit=off' });
}

function poolWith(config: PoolConfig): Pool {
  const pool = new Pool({ connectionTimeoutMillis: 5_000, ...config });
  // An idle client whose server went away emits 'error'; unhandled, that would kill the process.
  // The next query reports the outage to its caller instead.
  pool.on('error', () => undefined);
  return pool;
}
