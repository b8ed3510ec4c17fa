import type { Pool, PoolClient } from 'pg';

/** Runs `work` in one transaction on one connection: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A checked-out connection that the server drops (a restart, say) emits 'error'; without a
  // listener that would end the process. The query in progress, or the next one, fails instead.
  const ignoreDrop = () => undefined;
  client.on('error', ignoreDrop);
  let failed = false;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    failed = true;
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.off('error', ignoreDrop);
    // After a failure the connection may be broken: discard it rather than hand it to the next caller.
    client.release(failed);
  }
}
