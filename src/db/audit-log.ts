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

  /**
   * Appends within the caller's transaction; the caller must hold the incident's advisory lock. Two
   * statements whatever the number of entries: the chain's head with the keys stored already, then
   * every new entry in one insert, in chain order (so the global sequence follows it too).
   */
  private static async appendLocked(client: PoolClient, incidentId: string, entries: readonly AuditEntryInput[]): Promise<{ added: AuditEntryInput[]; head: ChainHead }> {
    const keys = entries.map((e) => e.entryKey);
    const { rows } = await client.query(
      `SELECT head.seq, head.hash, ARRAY(SELECT entry_key FROM audit_log WHERE incident_id = $1 AND entry_key = ANY($2)) AS existing
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (SELECT seq, hash FROM audit_log WHERE incident_id = $1 ORDER BY seq DESC LIMIT 1) AS head ON true`,
      [incidentId, keys],
    );
    let seq: number = rows[0]?.seq ?? 0;
    let prevHash: string = rows[0]?.hash ?? GENESIS_HASH;
    const seen = new Set<string>(rows[0]?.existing ?? []);
    const stored: Array<{ input: AuditEntryInput; seq: number; prevHash: string; hash: string }> = [];
    for (const input of entries) {
      if (seen.has(input.entryKey)) continue;
      seen.add(input.entryKey);
      seq += 1;
      const hash = auditHash({ ...input, incidentId, seq, prevHash });
      stored.push({ input, seq, prevHash, hash });
      prevHash = hash;
    }
    if (stored.length > 0) {
      const column = <T>(f: (e: (typeof stored)[number]) => T) => stored.map(f);
      await client.query(
        `INSERT INTO audit_log (incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash)
         SELECT $1, seq, entry_key, at, actor, actor_role, action, outcome, details::jsonb, prev_hash, hash
           FROM unnest($2::int[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
             AS e(seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash)
          ORDER BY seq`,
        [
          incidentId,
          column((e) => e.seq),
          column((e) => e.input.entryKey),
          column((e) => e.input.at),
          column((e) => e.input.actor),
          column((e) => e.input.actorRole),
          column((e) => e.input.action),
          column((e) => e.input.outcome),
          column((e) => JSON.stringify(e.input.details)),
          column((e) => e.prevHash),
          column((e) => e.hash),
        ],
      );
    }
    return { added: stored.map((e) => e.input), head: { seq, hash: prevHash } };
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
