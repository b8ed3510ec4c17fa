import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Pool } from 'pg';
import type { CheckpointStore } from '../db/checkpoint-store';
import { verifyAuditSection, type AuditProblem } from '../domain/audit-chain';
import { exportCheckpoint } from '../signer/activities';
import { checkpointFault, statementHash, type CheckpointKeyring, type SignedCheckpoint } from './checkpoints';

/** The checkpoints in a folder, as the signer or `npm run checkpoints -- export` wrote them, oldest first. */
export async function readCheckpointFolder(dir: string): Promise<SignedCheckpoint[]> {
  const names = (await readdir(dir)).filter((n) => /^checkpoint-\d{8}\.json$/.test(n)).sort();
  return Promise.all(names.map(async (n) => JSON.parse(await readFile(path.join(dir, n), 'utf8')) as SignedCheckpoint));
}

/** Writes every stored checkpoint the folder lacks; answers how many it wrote. */
export async function exportCheckpoints(store: CheckpointStore, dir: string): Promise<number> {
  const have = await readCheckpointFolder(dir).catch(() => [] as SignedCheckpoint[]);
  let written = 0;
  for await (const checkpoint of store.after(have.at(-1)?.statement.seq ?? 0)) {
    await exportCheckpoint(dir, checkpoint);
    written += 1;
  }
  return written;
}

export type FolderProblem =
  | { kind: 'checkpoint_invalid'; checkpointSeq: number; reason: string }
  | { kind: 'checkpoint_missing'; checkpointSeq: number; reason: string }
  | { kind: 'entries_removed'; checkpointSeq: number; reason: string }
  | (AuditProblem & { incidentId: string });

export interface FolderVerdict {
  valid: boolean;
  checkpoints: number;
  /** The latest checkpoint, whose heads the database was checked against. */
  latest?: { seq: number; issuedAt: string; incidents: number };
  problems: FolderProblem[];
}

/**
 * Checks the database against checkpoints kept outside it: every file's signature and root, the
 * files a chain with no gap, and then for every head of the latest one that the incident's stored
 * chain still reaches it with that hash (`cut_tail`, `emptied_incident`, `recomputed_chain`), and
 * that no entry any of them counted is gone (`entries_removed`), even one whose incident left no other trace.
 */
export async function verifyAgainstCheckpoints(checkpoints: readonly SignedCheckpoint[], keys: CheckpointKeyring, pool: Pool): Promise<FolderVerdict> {
  const problems: FolderProblem[] = [];
  let previous: SignedCheckpoint | undefined;
  for (const checkpoint of checkpoints) {
    const fault = checkpointFault(checkpoint, keys);
    const { seq } = checkpoint.statement;
    if (fault) problems.push({ kind: 'checkpoint_invalid', checkpointSeq: seq, reason: fault });
    if (previous && (seq !== previous.statement.seq + 1 || checkpoint.statement.previous !== statementHash(previous.statement))) {
      problems.push({ kind: 'checkpoint_missing', checkpointSeq: seq, reason: `checkpoint ${seq} does not follow checkpoint ${previous.statement.seq}` });
    }
    previous = checkpoint;
  }
  const latest = checkpoints.at(-1);
  if (!latest) return { valid: problems.length === 0, checkpoints: 0, problems };
  const { statement, heads } = latest;
  const { rows } = await pool.query<{ incident_id: string; seq: number; hash: string; stored: string | null; last: number | null }>(
    `SELECT h.incident_id, h.seq, h.hash, a.hash AS stored, (SELECT max(l.seq) FROM audit_log l WHERE l.incident_id = h.incident_id) AS last
       FROM unnest($1::text[], $2::int[], $3::text[]) AS h (incident_id, seq, hash)
       LEFT JOIN audit_log a ON a.incident_id = h.incident_id AND a.seq = h.seq`,
    [heads.map((h) => h.incidentId), heads.map((h) => h.seq), heads.map((h) => h.hash)],
  );
  for (const row of rows) {
    const verdict = verifyAuditSection([], {
      anchors: [{ seq: row.seq, hash: row.hash, source: 'checkpoint' }],
      stored: { lastSeq: row.last ?? 0, hashAt: (seq) => (seq === row.seq ? (row.stored ?? undefined) : undefined) },
    });
    problems.push(...verdict.problems.map((p) => ({ ...p, incidentId: row.incident_id })));
  }
  // Each checkpoint counted the entries up to its global sequence: fewer now means some are gone.
  const { rows: counts } = await pool.query<{ g: string; n: string }>(
    'SELECT g, (SELECT count(*) FROM audit_log WHERE global_seq <= g) AS n FROM unnest($1::bigint[]) AS g',
    [checkpoints.map((c) => c.statement.globalSeq)],
  );
  for (const [i, checkpoint] of checkpoints.entries()) {
    const remaining = Number(counts[i]?.n ?? 0);
    const { seq, entries } = checkpoint.statement;
    if (remaining < entries) problems.push({ kind: 'entries_removed', checkpointSeq: seq, reason: `checkpoint ${seq} counted ${entries} entries; ${entries - remaining} of them are gone` });
  }
  return { valid: problems.length === 0, checkpoints: checkpoints.length, latest: { seq: statement.seq, issuedAt: statement.issuedAt, incidents: statement.incidents }, problems };
}
