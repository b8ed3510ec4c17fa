import { ApiKeyStore } from '../db/api-key-store';
import { createPool } from '../db/pool';
import { ROLES, type Role } from '../domain/principal';
import { devStackFile, readDevStackConnection } from '../stack/dev-stack-file';

const USAGE = `usage: npm run create-key -- <name> <role>   (role: ${ROLES.join(' | ')})
  Uses DATABASE_URL when set; otherwise the dev stack that \`make up\` is running.`;

/** DATABASE_URL, or the running dev stack's database as `make up` wrote it down. */
function databaseUrl(env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, from: 'DATABASE_URL' };
  const file = devStackFile(env);
  const stack = readDevStackConnection(file);
  if (!stack) throw new Error(`DATABASE_URL is not set and no dev stack is running (${file} is missing): start one with \`make up\`, or set DATABASE_URL`);
  return { url: stack.databaseUrl, from: file };
}

/** `npm run create-key -- <name> <role>`: issues an API key and prints it once. */
async function main(): Promise<void> {
  const [name, role] = process.argv.slice(2);
  if (!name || !role || !(ROLES as readonly string[]).includes(role)) {
    console.error(USAGE);
    process.exit(2);
  }
  const { url, from } = databaseUrl();
  const pool = createPool(url, 1);
  try {
    const key = await new ApiKeyStore(pool).create(name, role as Role);
    console.log(key.token);
    console.error(`issued ${key.role} key ${key.keyId} for ${key.name}; it is not shown again`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') throw new Error(`the database named by ${from} does not answer: is \`make up\` still running?`);
    throw err;
  } finally {
    await pool.end();
  }
}

main().catch((err: unknown) => {
  console.error('create-key failed:', err instanceof Error ? err.message : err);
  process.exit(1);
});
