import { chmodSync, writeFileSync } from 'node:fs';
import type { ApiKeyStore } from '../db/api-key-store';
import type { Role } from '../domain/principal';

const DEV_KEY_ROLES: Role[] = ['admin', 'integration', 'responder', 'manager', 'auditor'];

/**
 * On a database with no keys, issues one key per role for local use and writes them to a
 * private file (the only place they are ever shown again). Returns undefined when keys exist.
 */
export async function issueDevKeys(keys: ApiKeyStore, file: string): Promise<Record<string, string> | undefined> {
  if ((await keys.count()) > 0) return undefined;
  const issued: Record<string, string> = {};
  for (const role of DEV_KEY_ROLES) issued[role] = (await keys.create(`dev-${role}`, role, {}, { name: 'make up', role: 'system' })).token;
  writeFileSync(file, JSON.stringify(issued, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return issued;
}
