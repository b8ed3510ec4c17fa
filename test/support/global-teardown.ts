import { rmSync } from 'node:fs';
import type { DevServer } from '../../src/temporal/dev-server';
import type { RunningPostgres } from '../../src/stack/embedded-postgres';

export default async function globalTeardown(): Promise<void> {
  const servers = (globalThis as Record<string, unknown>).__firebreakServers as
    | { temporal: DevServer; postgres: RunningPostgres; workDir: string }
    | undefined;
  if (!servers) return;
  await Promise.allSettled([servers.temporal.stop(), servers.postgres.stop()]);
  rmSync(servers.workDir, { recursive: true, force: true });
}
