import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Pool } from 'pg';
import type { Principal, Role } from '../domain/principal';

/** Keys look like `fbk_<keyId>_<secret>`; only a SHA-256 of the secret is stored. */
const KEY_PATTERN = /^fbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export interface IssuedKey {
  keyId: string;
  name: string;
  role: Role;
  /** The full key; shown once, never stored. */
  token: string;
}

export class ApiKeyStore {
  constructor(private readonly pool: Pool) {}

  async create(name: string, role: Role): Promise<IssuedKey> {
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    await this.pool.query('INSERT INTO api_keys (key_id, name, role, secret_hash) VALUES ($1, $2, $3, $4)', [
      keyId,
      name,
      role,
      hashSecret(secret),
    ]);
    return { keyId, name, role, token: `fbk_${keyId}_${secret}` };
  }

  /** The principal a bearer token stands for, or undefined for a malformed, unknown or revoked key. */
  async authenticate(token: string): Promise<Principal | undefined> {
    const match = KEY_PATTERN.exec(token);
    if (!match) return undefined;
    const [, keyId, secret] = match as unknown as [string, string, string];
    const { rows } = await this.pool.query('SELECT name, role, secret_hash, revoked_at FROM api_keys WHERE key_id = $1', [keyId]);
    const row = rows[0];
    // Compare even when the key is unknown so timing does not tell which ids exist.
    const stored: Buffer = row?.secret_hash ?? Buffer.alloc(32);
    const matches = timingSafeEqual(stored, hashSecret(secret));
    if (!row || !matches || row.revoked_at) return undefined;
    return { keyId, name: row.name, role: row.role };
  }

  async revoke(keyId: string): Promise<boolean> {
    const result = await this.pool.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL', [keyId]);
    return result.rowCount === 1;
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    return rows[0].n;
  }

  async list(): Promise<Array<{ keyId: string; name: string; role: Role; createdAt: string; revokedAt: string | null }>> {
    const { rows } = await this.pool.query('SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id');
    return rows.map((r) => ({ keyId: r.key_id, name: r.name, role: r.role, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null }));
  }
}
