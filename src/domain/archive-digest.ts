import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditEntryInput } from './audit-chain';

/** The audit action that chains an archived run's digest into its incident's log. */
export const ARCHIVE_RUN_ACTION = 'archive_run';

/**
 * SHA-256 of a run's history in RFC 8785 canonical JSON: the same however the store orders keys
 * (PostgreSQL's jsonb does not keep them in the order written).
 */
export function runDigest(history: unknown): string {
  return createHash('sha256').update(canonicalize(history) ?? '', 'utf8').digest('hex');
}

export interface ArchivedRunDigest {
  runIndex: number;
  runId: string;
  sha256: string;
}

/** The audit entry that records one archived run: its place, id and digest. */
export function archiveRunEntry(run: ArchivedRunDigest & { events: number }, at: string, actor: string): AuditEntryInput {
  return {
    entryKey: `archive:${run.runIndex}:${run.runId}`,
    at,
    actor,
    actorRole: 'system',
    action: ARCHIVE_RUN_ACTION,
    outcome: 'recorded',
    details: { runIndex: run.runIndex, runId: run.runId, sha256: run.sha256, events: run.events },
  };
}

export type ArchiveVerdict =
  | { valid: true; runs: number }
  | { valid: false; runs: number; runIndex: number; runId: string; reason: string };

/**
 * Compares each archived run (its digest computed now) with the digest chained into the audit log
 * when it was archived. Names the first run that was altered, is missing, or was never chained.
 */
export function verifyArchive(archived: readonly ArchivedRunDigest[], chained: ReadonlyArray<Pick<AuditEntryInput, 'action' | 'details'>>): ArchiveVerdict {
  const recorded = new Map<number, ArchivedRunDigest>();
  for (const entry of chained) {
    if (entry.action !== ARCHIVE_RUN_ACTION) continue;
    const { runIndex, runId, sha256 } = entry.details as Partial<ArchivedRunDigest>;
    if (typeof runIndex === 'number' && typeof runId === 'string' && typeof sha256 === 'string' && !recorded.has(runIndex)) recorded.set(runIndex, { runIndex, runId, sha256 });
  }
  const stored = new Map(archived.map((run) => [run.runIndex, run]));
  const runs = archived.length;
  const indexes = [...new Set([...recorded.keys(), ...stored.keys()])].sort((a, b) => a - b);
  for (const runIndex of indexes) {
    const expected = recorded.get(runIndex);
    const actual = stored.get(runIndex);
    if (!actual) return { valid: false, runs, runIndex, runId: expected!.runId, reason: `run ${expected!.runId} (${runIndex + 1} of the incident) is missing from the archive` };
    if (!expected) return { valid: false, runs, runIndex, runId: actual.runId, reason: `run ${actual.runId} has no digest in the audit log` };
    if (actual.runId !== expected.runId) return { valid: false, runs, runIndex, runId: actual.runId, reason: `run ${runIndex + 1} of the incident is ${actual.runId} in the archive, but ${expected.runId} in the audit log` };
    if (actual.sha256 !== expected.sha256) return { valid: false, runs, runIndex, runId: actual.runId, reason: `run ${actual.runId} was altered after it was archived` };
  }
  return { valid: true, runs };
}
