import { Pool } from 'pg';

export function createPool(connectionString: string, max = 10): Pool {
  const pool = new Pool({ connectionString, max, connectionTimeoutMillis: 5_000 });
  // An idle client whose server went away emits 'error'; unhandled, that would kill the process.
  // The next query reports the outage to its caller instead.
  pool.on('error', () => undefined);
  return pool;
}
