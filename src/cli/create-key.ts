import { userInfo } from 'node:os';
import { AdminAudit } from '../db/admin-audit';
import { ApiKeyStore } from '../db/api-key-store';
import { AuditLog } from '../db/audit-log';
import { createPool } from '../db/pool';
import { ROLES } from '../domain/principal';
import { NewKeySchema } from '../api/schemas';
import { devStackFile, readDevStackConnection } from '../stack/dev-stack-file';

const USAGE = `usage: npm run create-key -- <name> <role> [--expires-at <ISO 8601>]
         [--sources <a,b>] [--correlate-across-sources] [--max-severity <severity>] [--asset-kinds <host,account>]
  role: ${ROLES.join(' | ')}; an integration key needs --sources, and only integration keys take the last four.
  Uses DATABASE_URL when set; otherwise the dev stack that \`make up\` is running. The key is audited as issued
  by the operating-system user who ran this.`;

/** DATABASE_URL, or the running dev stack's database as `make up` wrote it down. */
function databaseUrl(env: NodeJS.ProcessEnv = process.env): { url: string; from: string } {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, from: 'DATABASE_URL' };
  const file = devStackFile(env);
  const stack = readDevStackConnection(file);
  if (!stack) throw new Error(`DATABASE_URL is not set and no dev stack is running (${file} is missing): start one with \`make up\`, or set DATABASE_URL`);
  return { url: stack.databaseUrl, from: file };
}

const list = (value: string) => value.split(',').map((v) => v.trim()).filter(Boolean);

/** The command line as the body `POST /v1/admin/keys` takes, or undefined when it is not one. */
function requestOf(args: string[]): Record<string, unknown> | undefined {
  const [name, role, ...flags] = args;
  if (!name || !role || name.startsWith('--')) return undefined;
  const request: Record<string, unknown> = { name, role };
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i];
    const value = () => {
      const v = flags[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--expires-at') request.expiresAt = value();
    else if (flag === '--sources') request.sources = list(value());
    else if (flag === '--correlate-across-sources') request.correlateAcrossSources = true;
    else if (flag === '--max-severity') request.maxSeverity = value();
    else if (flag === '--asset-kinds') request.assetKinds = list(value());
    else return undefined;
  }
  return request;
}

/** `npm run create-key -- <name> <role> [options]`: issues an API key, audits it, and prints it once. */
async function main(): Promise<void> {
  const request = requestOf(process.argv.slice(2));
  if (!request) {
    console.error(USAGE);
    process.exit(2);
  }
  const parsed = NewKeySchema.safeParse(request);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) console.error(`${issue.path.join('.') || 'arguments'}: ${issue.message}`);
    console.error(USAGE);
    process.exit(2);
  }
  const { name, role, ...options } = parsed.data;
  const { url, from } = databaseUrl();
  // Two connections: the key's transaction stays open while its audit entry is written.
  const pool = createPool(url, 2);
  try {
    const store = new ApiKeyStore(pool, new AdminAudit(new AuditLog(pool)));
    const operator = { name: `command line: ${userInfo().username}`, role: 'operator' };
    const key = await store.create(name, role, role === 'integration' ? { correlateAcrossSources: false, ...options } : options, operator);
    console.log(key.token);
    console.error(`issued ${key.role} key ${key.keyId} for ${key.name}${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}; it is not shown again`);
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
