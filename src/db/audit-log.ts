import type { Pool, PoolClient } from 'pg';
import { inTransaction } from './transaction';
import { auditHash, GENESIS_HASH, verifyChain, type AuditEntry, type AuditEntryInput, type ChainVerdict } from '../domain/audit-chain';
import { lifecycleEventsOf } from '../domain/lifecycle-events';
import { EventOutbox } from './event-outbox';

/**
 * The append-only, hash-chained audit log. Appends for one incident are serialised by an
 * advisory lock so the chain never forks; an entry key already present is skipped, which makes
 * a retried write (an activity, an API retry) harmless. The lifecycle events of the entries it
 * adds go into the event outbox in the same transaction, so each is created once.
 */
export class AuditLog {
  constructor(private readonly pool: Pool) {}

  async append(incidentId: string, entries: readonly AuditEntryInput[]): Promise<void> {
    if (entries.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 7))', [incidentId]);
      const added = await this.appendLocked(client, incidentId, entries);
      await EventOutbox.appendLocked(client, incidentId, lifecycleEventsOf(incidentId, added));
    });
  }

  /** Appends within the caller's transaction; the caller must hold the incident's advisory lock. */
  private async appendLocked(client: PoolClient, incidentId: string, entries: readonly AuditEntryInput[]): Promise<AuditEntryInput[]> {
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
    return added;
  }

  async entries(incidentId: string): Promise<AuditEntry[]> {
    const { rows } = await this.pool.query(
      `SELECT incident_id, seq, entry_key, at, actor, actor_role, action, outcome, details, prev_hash, hash
         FROM audit_log WHERE incident_id = $1 ORDER BY seq`,
      [incidentId],
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
    }));
  }

  async verified(incidentId: string): Promise<{ entries: AuditEntry[]; verification: ChainVerdict }> {
    const entries = await this.entries(incidentId);
    return { entries, verification: verifyChain(entries, auditHash) };
  }
}
