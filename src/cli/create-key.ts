import { ApiKeyStore } from '../db/api-key-store';
import { createPool } from '../db/pool';
import { ROLES, type Role } from '../domain/principal';
import { loadConfig } from '../config';

/** `npm run create-key -- <name> <role>`: issues an API key and prints it once. */
async function main(): Promise<void> {
  const [name, role] = process.argv.slice(2);
  if (!name || !role || !(ROLES as readonly string[]).includes(role)) {
    console.error(`usage: create-key <name> <role>   (role: ${ROLES.join(' | ')})`);
    process.exit(2);
  }
  const pool = createPool(loadConfig().databaseUrl, 1);
  try {
    const key = await new ApiKeyStore(pool).create(name, role as Role);
    console.log(key.token);
    console.error(`issued ${key.role} key ${key.keyId} for ${key.name}; it is not shown again`);
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('create-key failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
