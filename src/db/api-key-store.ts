import { randomBytes } from 'node:crypto';
import { matchesSecret, secretDigest } from '../secret-digest';
import type { Pool } from 'pg';
import type { AssetKind } from '../domain/asset';
import { UNCONSTRAINED, type KeyConstraints } from '../domain/key-constraints';
import type { Principal, Role } from '../domain/principal';
import type { Severity } from '../domain/severity';
import type { AdminActor, AdminAudit } from './admin-audit';
import type { ApiKeyCache } from './api-key-cache';
import { inTransaction } from './transaction';

/** Keys look like `fbk_<keyId>_<secret>`; only a SHA-256 of the secret is stored. */
const KEY_PATTERN = /^fbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** A key's last-used time is written at most this often: a busy integration must not write on every alert. */
export const LAST_USED_RESOLUTION_MS = 60_000;

export interface KeyOptions extends Partial<KeyConstraints> {
  /** After this instant the key gets 401; none: it never expires. */
  expiresAt?: string | null;
}

export interface IssuedKey {
  keyId: string;
  name: string;
  role: Role;
  /** The full key; shown once, never stored. */
  token: string;
  constraints: KeyConstraints;
  expiresAt: string | null;
}

export interface KeyRecord {
  keyId: string;
  name: string;
  role: Role;
  constraints: KeyConstraints;
  createdAt: string;
  createdBy: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** A key that authenticated: who it stands for, and what it may report. */
export interface AuthenticatedKey {
  principal: Principal;
  constraints: KeyConstraints;
}

/** What authentication reads of a key: the api_keys row. */
export interface KeyRow {
  name: string;
  role: Role;
  secret_hash: Buffer;
  revoked_at: Date | null;
  expires_at: Date | null;
  last_used_at: Date | null;
  sources: string[] | null;
  correlate_across_sources: boolean;
  max_severity: Severity | null;
  asset_kinds: AssetKind[] | null;
}

/** Why a key could not be revoked. */
export type RevocationRefusal = 'unknown' | 'last-admin';

/** Serialises changes to who holds an admin key, so two revocations cannot remove the last two together. */
const ADMIN_KEYS_LOCK = "hashtextextended('firebreak:admin-keys', 0)";

/** A key that works now: not revoked and not expired. */
const USABLE = '(revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()))';

/**
 * API keys: issued with their constraints and an optional expiry, authenticated by hash, revoked.
 * Issuing and revoking are recorded in the administration audit chain before the change commits,
 * so a change without its entry never commits.
 */
export class ApiKeyStore {
  constructor(
    private readonly pool: Pool,
    private readonly audit?: AdminAudit,
    /** Keys authenticated lately, dropped on any change heard from PostgreSQL (see ApiKeyCache); none: every request reads its key. */
    private readonly cache?: ApiKeyCache<KeyRow>,
  ) {}

  async create(name: string, role: Role, options: KeyOptions = {}, issuedBy: AdminActor = { name: 'system', role: 'system' }): Promise<IssuedKey> {
    const keyId = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const constraints: KeyConstraints = {
      sources: options.sources ?? UNCONSTRAINED.sources,
      correlateAcrossSources: options.correlateAcrossSources ?? UNCONSTRAINED.correlateAcrossSources,
      maxSeverity: options.maxSeverity ?? UNCONSTRAINED.maxSeverity,
      assetKinds: options.assetKinds ?? UNCONSTRAINED.assetKinds,
    };
    const expiresAt = options.expiresAt ?? null;
    await inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO api_keys (key_id, name, role, secret_hash, sources, correlate_across_sources, max_severity, asset_kinds, expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [keyId, name, role, secretDigest(secret), constraints.sources, constraints.correlateAcrossSources, constraints.maxSeverity, constraints.assetKinds, expiresAt, issuedBy.name],
      );
      await this.audit?.record('issue_key', keyId, issuedBy, { issued: { keyId, name, role, ...constraints, expiresAt } });
    });
    return { keyId, name, role, token: `fbk_${keyId}_${secret}`, constraints, expiresAt };
  }

  /** The principal a bearer token stands for, or undefined for a malformed, unknown, revoked or expired key. */
  async authenticate(token: string): Promise<Principal | undefined> {
    return (await this.authenticateKey(token))?.principal;
  }

  /** The key a bearer token is, with its constraints; notes its use at most once a minute. */
  async authenticateKey(token: string, now: Date = new Date()): Promise<AuthenticatedKey | undefined> {
    const match = KEY_PATTERN.exec(token);
    if (!match) return undefined;
    const [, keyId, secret] = match as unknown as [string, string, string];
    const row = this.cache?.get(keyId) ?? (await this.read(keyId));
    // Compare even when the key is unknown so timing does not tell which ids exist.
    const stored: Buffer = row?.secret_hash ?? Buffer.alloc(32);
    const matches = matchesSecret(secret, stored);
    if (!row || !matches || row.revoked_at) return undefined;
    if (row.expires_at && row.expires_at.getTime() <= now.getTime()) return undefined;
    if (!row.last_used_at || now.getTime() - row.last_used_at.getTime() >= LAST_USED_RESOLUTION_MS) {
      // Noted here first, so this process's concurrent requests with the key do not all write it.
      this.cache?.update(keyId, (kept) => ({ ...kept, last_used_at: now }));
      // The condition again in SQL: of several API replicas noticing at once, one writes.
      await this.pool.query(`UPDATE api_keys SET last_used_at = now() WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [keyId]);
    }
    return { principal: { keyId, name: row.name, role: row.role }, constraints: constraintsOf(row) };
  }

  /** The key's row from PostgreSQL, kept in the cache when no change to it came between. */
  private async read(keyId: string): Promise<KeyRow | undefined> {
    const ticket = this.cache?.ticket();
    const { rows } = await this.pool.query<KeyRow>(
      `SELECT name, role, secret_hash, revoked_at, expires_at, last_used_at, sources, correlate_across_sources, max_severity, asset_kinds
         FROM api_keys WHERE key_id = $1`,
      [keyId],
    );
    const row = rows[0];
    // Unknown keys are not kept: a key issued a moment later must work at once.
    if (row && ticket !== undefined) this.cache?.keep(keyId, row, ticket);
    return row;
  }

  /**
   * Revokes a usable key; the last usable admin key is refused, so administration is never locked out.
   * This process forgets the key as soon as the revocation commits; the other replicas when they
   * hear PostgreSQL's notification of it.
   */
  async revoke(keyId: string, revokedBy: AdminActor = { name: 'system', role: 'system' }): Promise<{ revoked: true } | { revoked: false; why: RevocationRefusal }> {
    const result = await inTransaction(this.pool, async (client) => {
      const { rows } = await client.query(`SELECT role FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL FOR UPDATE`, [keyId]);
      if (!rows[0]) return { revoked: false, why: 'unknown' as const };
      if (rows[0].role === 'admin') {
        await client.query(`SELECT pg_advisory_xact_lock(${ADMIN_KEYS_LOCK})`);
        const others = await client.query(`SELECT count(*)::int AS n FROM api_keys WHERE role = 'admin' AND key_id <> $1 AND ${USABLE}`, [keyId]);
        if (others.rows[0].n === 0) return { revoked: false, why: 'last-admin' as const };
      }
      await client.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1', [keyId]);
      await this.audit?.record('revoke_key', keyId, revokedBy, { revoked: { keyId, role: rows[0].role } });
      return { revoked: true as const };
    });
    if (result.revoked) this.cache?.forget(keyId);
    return result;
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query('SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL');
    return rows[0].n;
  }

  async list(): Promise<KeyRecord[]> {
    const { rows } = await this.pool.query(
      `SELECT key_id, name, role, created_at, created_by, expires_at, last_used_at, revoked_at, sources, correlate_across_sources, max_severity, asset_kinds
         FROM api_keys ORDER BY created_at, key_id`,
    );
    return rows.map((r) => ({
      keyId: r.key_id,
      name: r.name,
      role: r.role,
      constraints: constraintsOf(r),
      createdAt: r.created_at.toISOString(),
      createdBy: r.created_by,
      expiresAt: r.expires_at?.toISOString() ?? null,
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }
}

function constraintsOf(row: { sources: string[] | null; correlate_across_sources: boolean; max_severity: Severity | null; asset_kinds: AssetKind[] | null }): KeyConstraints {
  return { sources: row.sources, correlateAcrossSources: row.correlate_across_sources, maxSeverity: row.max_severity, assetKinds: row.asset_kinds };
}
