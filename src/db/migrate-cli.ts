import { loadConfig } from '../config';
import { migrateUp } from './migrate';

migrateUp(loadConfig().databaseUrl, (msg) => console.log(msg)).catch((err: unknown) => {
  console.error('migration failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
