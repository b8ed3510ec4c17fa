import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/** The hash an incident's first audit entry (and an artifact's first custody entry) links to. */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEntryInput {
  /** Unique per incident: a retried write with the same key is recorded once. */
  entryKey: string;
  at: string;
  actor: string;
  actorRole: string;
  action: string;
  /** applied | rejected | denied | recorded */
  outcome: string;
  details: Record<string, unknown>;
}

export interface AuditEntry extends AuditEntryInput {
  incidentId: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/** SHA-256 over the RFC 8785 canonical JSON of every field but the hash itself. */
export function auditHash(entry: Omit<AuditEntry, 'hash'>): string {
  const { incidentId, seq, entryKey, at, actor, actorRole, action, outcome, details, prevHash } = entry;
  const canonical = canonicalize({ incidentId, seq, entryKey, at, actor, actorRole, action, outcome, details, prevHash });
  return createHash('sha256').update(canonical ?? '', 'utf8').digest('hex');
}

export type ChainVerdict = { valid: true; entries: number } | { valid: false; entries: number; brokenAt: number; reason: string };

/**
 * Walks a chain in sequence order: each entry must be numbered one after the previous, link to
 * its hash, and hash to what it claims. Names the first entry where that fails.
 */
export function verifyChain<T extends { seq: number; prevHash: string; hash: string }>(entries: readonly T[], hashOf: (entry: Omit<T, 'hash'>) => string): ChainVerdict {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq !== expectedSeq) {
      return { valid: false, entries: entries.length, brokenAt: expectedSeq, reason: entry.seq > expectedSeq ? `entry ${expectedSeq} is missing` : `entry ${entry.seq} is duplicated` };
    }
    if (entry.prevHash !== prevHash) return { valid: false, entries: entries.length, brokenAt: entry.seq, reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1}` };
    const { hash, ...rest } = entry;
    if (hashOf(rest) !== hash) return { valid: false, entries: entries.length, brokenAt: entry.seq, reason: `entry ${entry.seq} was altered after it was written` };
    prevHash = hash;
    expectedSeq += 1;
  }
  return { valid: true, entries: entries.length };
}

export interface CustodyLink {
  artifactId: string;
  seq: number;
  action: string;
  fromCustodian: string;
  toCustodian: string;
  sha256: string;
  at: string;
  prevHash: string;
}

export function custodyHash(link: CustodyLink): string {
  const canonical = canonicalize(link);
  return createHash('sha256').update(canonical ?? '', 'utf8').digest('hex');
}
