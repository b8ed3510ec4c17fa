import { Pool } from 'pg';

/**
 * Intake holds a connection while Temporal accepts the alert, so the pool bounds concurrent intake;
 * 25 per process leaves room under PostgreSQL's default of 100 connections for an API and a worker
 * or two.
 */
export function createPool(connectionString: string, max = 25): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle client whose server went away emits 'error'; unhandled, that would kill the process.
  // The next query reports the outage to its caller instead.
  pool.on('error', () => undefined);
  return pool;
}
