import type { Pool, PoolClient } from 'pg';
import type { HeadLeaf } from '../domain/merkle';
import type { CheckpointBasis, CheckpointStatement, SignedCheckpoint } from '../audit/checkpoints';
import { inTransaction } from './transaction';

interface CheckpointRow {
  seq: number;
  statement: CheckpointStatement;
  statement_hash: string;
  signature: string;
}

/**
 * Signed checkpoints of the audit log. The signer connects with credentials of its own (role
 * `firebreak_signer`), the only one that may insert them; the application's role may only read.
 */
export class CheckpointStore {
  constructor(private readonly pool: Pool) {}

  /**
   * What the next checkpoint signs, read in one snapshot: every incident's chain head, the entries
   * stored and their highest global sequence; an incident whose chain no longer extends the previous
   * checkpoint's head keeps that head (and is named in `diverged`). Undefined when nothing changed
   * since the previous checkpoint.
   */
  async nextBasis(issuedAt: string): Promise<CheckpointBasis | undefined> {
    return inTransaction(this.pool, async (client) => {
      await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const previous = await latestRow(client);
      const { rows: heads } = await client.query<{ incident_id: string; seq: number; hash: string }>(
        'SELECT DISTINCT ON (incident_id) incident_id, seq, hash FROM audit_log ORDER BY incident_id, seq DESC',
      );
      const { rows: [totals] } = await client.query<{ entries: string; global_seq: string | null }>('SELECT count(*) AS entries, max(global_seq) AS global_seq FROM audit_log');
      const current = new Map<string, HeadLeaf>(heads.map((r) => [r.incident_id, { incidentId: r.incident_id, seq: r.seq, hash: r.hash }]));
      const diverged: HeadLeaf[] = [];
      if (previous) {
        const { rows: kept } = await client.query<{ incident_id: string; seq: number; hash: string; stored: string | null }>(
          `SELECT h.incident_id, h.seq, h.hash, a.hash AS stored
             FROM audit_checkpoint_heads h LEFT JOIN audit_log a ON a.incident_id = h.incident_id AND a.seq = h.seq
            WHERE h.checkpoint_seq = $1`,
          [previous.seq],
        );
        for (const head of kept) {
          if (head.stored === head.hash) continue;
          const leaf = { incidentId: head.incident_id, seq: head.seq, hash: head.hash };
          current.set(head.incident_id, leaf);
          diverged.push(leaf);
        }
      }
      const basis: CheckpointBasis = {
        seq: (previous?.seq ?? 0) + 1,
        issuedAt,
        heads: [...current.values()],
        entries: Number(totals?.entries ?? 0),
        globalSeq: Number(totals?.global_seq ?? 0),
        previous: previous?.statement_hash ?? null,
        diverged,
      };
      const unchanged = previous && previous.statement.globalSeq === basis.globalSeq && previous.statement.entries === basis.entries && previous.statement.diverged.length === diverged.length;
      return unchanged ? undefined : basis;
    });
  }

  /** Stores a signed checkpoint and its heads; a concurrent signer of the same seq fails on the key. */
  async insert(checkpoint: SignedCheckpoint): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      const { statement } = checkpoint;
      await client.query('INSERT INTO audit_checkpoints (seq, key_id, statement, statement_hash, signature) VALUES ($1, $2, $3, $4, $5)', [
        statement.seq,
        statement.keyId,
        JSON.stringify(statement),
        checkpoint.statementHash,
        checkpoint.signature,
      ]);
      const heads = checkpoint.heads;
      for (let i = 0; i < heads.length; i += 1000) {
        const chunk = heads.slice(i, i + 1000);
        await client.query(
          `INSERT INTO audit_checkpoint_heads (checkpoint_seq, incident_id, seq, hash)
           SELECT $1, * FROM unnest($2::text[], $3::int[], $4::text[])`,
          [statement.seq, chunk.map((h) => h.incidentId), chunk.map((h) => h.seq), chunk.map((h) => h.hash)],
        );
      }
    });
  }

  /** The latest checkpoint that holds a head of this incident, without its other heads: the row and this incident's head. */
  async latestHeadFor(incidentId: string): Promise<{ checkpoint: Omit<SignedCheckpoint, 'heads'>; head: HeadLeaf } | undefined> {
    const { rows } = await this.pool.query<CheckpointRow & { head_seq: number; head_hash: string }>(
      `SELECT c.seq, c.statement, c.statement_hash, c.signature, h.seq AS head_seq, h.hash AS head_hash
         FROM audit_checkpoint_heads h JOIN audit_checkpoints c ON c.seq = h.checkpoint_seq
        WHERE h.incident_id = $1 ORDER BY h.checkpoint_seq DESC LIMIT 1`,
      [incidentId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return { checkpoint: { statement: row.statement, statementHash: row.statement_hash, signature: row.signature }, head: { incidentId, seq: row.head_seq, hash: row.head_hash } };
  }

  /** Every head a checkpoint signed, as stored. */
  async headsOf(checkpointSeq: number): Promise<HeadLeaf[]> {
    const { rows } = await this.pool.query<{ incident_id: string; seq: number; hash: string }>(
      'SELECT incident_id, seq, hash FROM audit_checkpoint_heads WHERE checkpoint_seq = $1 ORDER BY incident_id',
      [checkpointSeq],
    );
    return rows.map((r) => ({ incidentId: r.incident_id, seq: r.seq, hash: r.hash }));
  }

  /** The latest checkpoint that holds a head of this incident, with every head it signed. */
  async latestFor(incidentId: string): Promise<SignedCheckpoint | undefined> {
    const { rows } = await this.pool.query<CheckpointRow>(
      `SELECT c.seq, c.statement, c.statement_hash, c.signature
         FROM audit_checkpoint_heads h JOIN audit_checkpoints c ON c.seq = h.checkpoint_seq
        WHERE h.incident_id = $1 ORDER BY h.checkpoint_seq DESC LIMIT 1`,
      [incidentId],
    );
    return rows[0] ? this.withHeads(rows[0]) : undefined;
  }

  async latest(): Promise<SignedCheckpoint | undefined> {
    const client = await this.pool.connect();
    try {
      const row = await latestRow(client);
      return row ? this.withHeads(row) : undefined;
    } finally {
      client.release();
    }
  }

  /** Checkpoints after a seq, oldest first, for export. */
  async *after(seq: number): AsyncGenerator<SignedCheckpoint> {
    for (;;) {
      const { rows } = await this.pool.query<CheckpointRow>('SELECT seq, statement, statement_hash, signature FROM audit_checkpoints WHERE seq > $1 ORDER BY seq LIMIT 20', [seq]);
      if (rows.length === 0) return;
      for (const row of rows) {
        yield await this.withHeads(row);
        seq = row.seq;
      }
    }
  }

  private async withHeads(row: CheckpointRow): Promise<SignedCheckpoint> {
    return { statement: row.statement, statementHash: row.statement_hash, signature: row.signature, heads: await this.headsOf(row.seq) };
  }
}

async function latestRow(client: PoolClient): Promise<CheckpointRow | undefined> {
  const { rows } = await client.query<CheckpointRow>('SELECT seq, statement, statement_hash, signature FROM audit_checkpoints ORDER BY seq DESC LIMIT 1');
  return rows[0];
}
