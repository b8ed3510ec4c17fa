import { loadConfig } from '../config';
import { createPool } from '../db/pool';
import { createLogger } from '../logger';
import { startApi } from './api-service';

/** Entry point of an API replica: `node dist/src/api/server.js`. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel, 'firebreak-api');
  const pool = createPool(config.databaseUrl);
  const api = await startApi({ pool, logger, ...config });
  logger.info({ url: api.url }, 'API listening');
  const stop = async () => {
    logger.info('shutting down: finishing in-flight requests');
    await api.close();
    await pool.end();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error('API failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
