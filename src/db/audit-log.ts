import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './transaction';
import { auditHash, GENESIS_HASH, verifyChain, type AuditEntry, type AuditEntryInput, type ChainHead, type ChainVerdict, type StoredChainFacts } from '../domain/audit-chain';
import { lifecycleEventsOf } from '../domain/lifecycle-events';
import { EventOutbox } from './event-outbox';

/** An entry as stored: with the global sequence and the instant PostgreSQL stamped on it (null before 0011). */
export interface StoredAuditEntry extends AuditEntry {
  globalSeq: number;
  recordedAt: string | null;
}

/**
 * The append-only, hash-chained audit log. Appends for one incident are serialised by an
 * advisory lock so the chain never forks; an entry key already present is skipped, which makes
 * a retried write (an activity, an API retry) harmless. The lifecycle events of the entries it
 * adds go into the event outbox in the same transaction, so each is created once.
 */
export class AuditLog {
  constructor(private readonly pool: Pool) {}

  /** Appends the entries not yet stored; answers the chain's head after them (seq 0: an empty chain). */
  async append(incidentId: string, entries: readonly AuditEntryInput[]): Promise<ChainHead> {
    if (entries.length === 0) return this.head(incidentId);
    return inTransaction(this.pool, (client) => AuditLog.appendWithin(client, incidentId, entries));
  }

  /**
   * `append` within the caller's transaction, which then commits the entries with whatever else it
   * writes (the read model's row: one commit, one wait for the disk). Holds the incident's lock
   * until that transaction ends.
   */
  static async appendWithin(client: PoolClient, incidentId: string, entries: readonly AuditEntryInput[]): Promise<ChainHead> {
    if (entries.length === 0) return AuditLog.headOn(client, incidentId);
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [incidentId]);
    const { added, head } = await AuditLog.appendLocked(client, incidentId, entries);
    await EventOutbox.appendLocked(client, incidentId, lifecycleEventsOf(incidentId, added));
    return head;
  }

  /** The last entry's seq and hash: what an anchor holds. */
  async head(incidentId: string): Promise<ChainHead> {
    return AuditLog.headOn(this.pool, incidentId);
  }

  private static async headOn(db: Pool | PoolClient, incidentId: string): Promise<ChainHead> {
    const { rows } = await db.query('SELECT seq, hash FROM audit_log WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1', [incidentId]);
    return { seq: rows[0]?.seq ?? 0, hash: rows[0]?.hash ?? GENESIS_HASH };
  }

  /** Appends within the caller's transaction; the caller must hold the incident's advisory lock. */
  private static async appendLocked(client: PoolClient, incidentId: string, entries: readonly AuditEntryInput[]): Promise<{ added: AuditEntryInput[]; head: ChainHead }> {
    const { rows } = await client.query('SELECT seq, hash FROM audit_log WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1', [incidentId]);
    let seq: number = rows[0]?.seq ?? 0;
    let prevHash: string = rows[0]?.hash ?? GENESIS_HASH;
    const keys = entries.map((e) => e.entryKey);
    const existing = await client.query('SELECT entry_key FROM audit_log WHERE incident_id = $1 AND entry_key = ANY($2)', [incidentId, keys]);
    const seen = new Set<string>(existing.rows.map((r) => r.entry_key));
    const added: AuditEntryInput[] = [];
    for (const input of entries) {
      if (seen.has(input.entryKey)) continue;
      seen.add(input.entryKey);
      seq += 1;
      const entry = { ...input, incidentId, seq, prevHash };
      const hash = auditHash(entry);
      await client.query(
        `INSERT INTO audit_log (incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [incidentId, seq, input.entryKey, input.at, input.actor, input.actorRole, input.action, input.outcome, JSON.stringify(input.details), prevHash, hash],
      );
      prevHash = hash;
      added.push(input);
    }
    return { added, head: { seq, hash: prevHash } };
  }

  async entries(incidentId: string): Promise<StoredAuditEntry[]> {
    return this.page(incidentId, 0, Number.MAX_SAFE_INTEGER);
  }

  /** Up to `limit` entries after seq `afterSeq`, in order. */
  async page(incidentId: string, afterSeq: number, limit: number): Promise<StoredAuditEntry[]> {
    const { rows } = await this.pool.query(
      `SELECT incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash, global_seq, recorded_at
         FROM audit_log WHERE incident_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [incidentId, afterSeq, Math.min(limit, 2_147_483_647)],
    );
    return rows.map((r) => ({
      incidentId: r.incident_id,
      seq: r.seq,
      entryKey: r.entry_key,
      at: r.at.toISOString(),
      actor: r.actor,
      actorRole: r.actor_role,
      action: r.action,
      outcome: r.outcome,
      details: r.details,
      prevHash: r.prev_hash,
      hash: r.hash,
      globalSeq: Number(r.global_seq),
      recordedAt: r.recorded_at ? r.recorded_at.toISOString() : null,
    }));
  }

  /** What anchors are checked against: the last stored seq, and the stored hash at each seq asked. */
  async facts(incidentId: string, seqs: readonly number[]): Promise<StoredChainFacts> {
    const [last, at] = await Promise.all([
      this.pool.query('SELECT max(seq) AS seq FROM audit_log WHERE incident_id = $1', [incidentId]),
      this.pool.query('SELECT seq, hash FROM audit_log WHERE incident_id = $1 AND seq = ANY($2::int[])', [incidentId, [...seqs]]),
    ]);
    const hashes = new Map<number, string>(at.rows.map((r) => [r.seq, r.hash]));
    return { lastSeq: last.rows[0]?.seq ?? 0, hashAt: (seq) => hashes.get(seq) };
  }

  async verified(incidentId: string): Promise<{ entries: AuditEntry[]; verification: ChainVerdict }> {
    const entries = await this.entries(incidentId);
    return { entries, verification: verifyChain(entries, auditHash) };
  }
}
