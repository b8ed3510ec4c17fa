import { startEmbeddedPostgres, takeOverShutdownSignals, type RunningPostgres } from './embedded-postgres';

/**
 * Embedded PostgreSQL in the foreground: `node dist/src/stack/postgres-server.js <data-dir> <port> [database]`.
 * Prints one JSON line with the database's URL once it accepts connections and stops the server
 * cleanly on SIGINT or SIGTERM, exiting 0. Data is kept, so running it again on the folder resumes it.
 */
async function main(): Promise<void> {
  const [dataDir, portText, database = 'firebreak'] = process.argv.slice(2);
  const port = Number(portText);
  if (!dataDir || !Number.isInteger(port) || port <= 0) throw new Error('usage: postgres-server <data-dir> <port> [database]');
  takeOverShutdownSignals();
  let postgres: RunningPostgres | undefined;
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await postgres?.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  postgres = await startEmbeddedPostgres({ dataDir, port, persistent: true });
  await postgres.createDatabase(database);
  console.log(JSON.stringify({ ready: true, url: postgres.urlFor(database) }));
}

main().catch((err: unknown) => {
  console.error('PostgreSQL failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
