import { rmSync } from 'node:fs';
import type { DevServer } from '../../src/temporal/dev-server';
import type { RunningPostgres } from '../../src/stack/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__firebreakServers as
    | { temporal?: DevServer; postgres: RunningPostgres; workDir: string }
    | undefined;
  if (!servers) return;
  // The Temporal server on PostgreSQL (FIREBREAK_TEMPORAL=server) stops before its database.
  await Promise.allSettled([servers.temporal?.stop()]);
  await Promise.allSettled([servers.postgres.stop()]);
  rmSync(servers.workDir, { recursive: true, force: true });
}
