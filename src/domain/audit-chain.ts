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

/** Where an incident's chain ended at some moment: the last entry's number and hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Who vouches for a chain head: the incident's workflow (Temporal) or a signed checkpoint. */
export type AnchorSource = 'workflow' | 'checkpoint';

export interface ChainAnchor extends ChainHead {
  source: AnchorSource;
}

/** What verification found, one problem per kind and place. */
export type AuditProblem =
  | { kind: 'altered_entry'; seq: number; reason: string }
  | { kind: 'missing_entry'; seq: number; reason: string }
  | { kind: 'duplicated_entry'; seq: number; reason: string }
  | { kind: 'broken_link'; seq: number; reason: string }
  | { kind: 'cut_tail'; lastSeq: number; anchoredSeq: number; anchor: AnchorSource; reason: string }
  | { kind: 'emptied_incident'; anchoredSeq: number; anchor: AnchorSource; reason: string }
  | { kind: 'recomputed_chain'; seq: number; anchor: AnchorSource; reason: string }
  | { kind: 'checkpoint_invalid'; checkpointSeq: number; reason: string };

export interface AuditVerdict {
  valid: boolean;
  /** Entries verified (on a page: the page's entries). */
  entries: number;
  problems: AuditProblem[];
  /** The first problem's place and words, as verdicts before anchors said it. */
  brokenAt?: number;
  reason?: string;
}

/** What the anchors are checked against: the stored chain's last entry, and its entry at each anchor's seq. */
export interface StoredChainFacts {
  /** The last stored entry's number (0: none stored). */
  lastSeq: number;
  /** The stored hash of the entry at each anchor's seq (absent: no such entry). */
  hashAt: (seq: number) => string | undefined;
}

/**
 * Walks a section of an incident's chain (a page, or the whole of it) from the entry before it,
 * and checks the anchors against the stored chain: each entry numbered one after the previous,
 * linked to its hash and hashing to what it claims; the chain at least as long as every anchor
 * (`cut_tail`, `emptied_incident`), and its entry at each anchor's seq carrying the anchored hash
 * (`recomputed_chain`: the entries were rewritten and their hashes computed again, which the walk
 * alone cannot see). Pure: the caller fetches the entries and facts.
 */
export function verifyAuditSection(
  entries: readonly AuditEntry[],
  options: { after?: ChainHead; anchors?: readonly ChainAnchor[]; stored?: StoredChainFacts; problems?: readonly AuditProblem[] } = {},
): AuditVerdict {
  const problems: AuditProblem[] = [...(options.problems ?? [])];
  let expectedSeq = (options.after?.seq ?? 0) + 1;
  let prevHash = options.after?.hash ?? GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq < expectedSeq) {
      problems.push({ kind: 'duplicated_entry', seq: entry.seq, reason: `entry ${entry.seq} is duplicated` });
      continue;
    }
    if (entry.seq > expectedSeq) {
      problems.push({ kind: 'missing_entry', seq: expectedSeq, reason: entry.seq === expectedSeq + 1 ? `entry ${expectedSeq} is missing` : `entries ${expectedSeq} to ${entry.seq - 1} are missing` });
    } else if (entry.prevHash !== prevHash) {
      problems.push({ kind: 'broken_link', seq: entry.seq, reason: `entry ${entry.seq} does not link to entry ${entry.seq - 1}` });
    }
    const { hash, ...rest } = entry;
    if (auditHash(rest) !== hash) problems.push({ kind: 'altered_entry', seq: entry.seq, reason: `entry ${entry.seq} was altered after it was written` });
    prevHash = hash;
    expectedSeq = entry.seq + 1;
  }
  if (options.stored) {
    const { lastSeq, hashAt } = options.stored;
    for (const anchor of options.anchors ?? []) {
      const by = anchor.source === 'workflow' ? "the incident's workflow" : 'a signed checkpoint';
      if (anchor.seq === 0) continue;
      if (lastSeq === 0) {
        problems.push({ kind: 'emptied_incident', anchoredSeq: anchor.seq, anchor: anchor.source, reason: `the incident has no entries, but ${by} holds ${anchor.seq}` });
      } else if (lastSeq < anchor.seq) {
        problems.push({ kind: 'cut_tail', lastSeq, anchoredSeq: anchor.seq, anchor: anchor.source, reason: `the chain ends at entry ${lastSeq}, but ${by} holds ${anchor.seq}` });
      } else {
        const stored = hashAt(anchor.seq);
        if (stored === undefined) {
          problems.push({ kind: 'missing_entry', seq: anchor.seq, reason: `entry ${anchor.seq} is missing` });
        } else if (stored !== anchor.hash) {
          problems.push({ kind: 'recomputed_chain', seq: anchor.seq, anchor: anchor.source, reason: `entry ${anchor.seq} does not carry the hash ${by} holds: the chain was rewritten` });
        }
      }
    }
  }
  const unique = dedupe(problems);
  const first = unique[0];
  return {
    valid: unique.length === 0,
    entries: entries.length,
    problems: unique,
    ...(first ? { brokenAt: 'seq' in first ? first.seq : 'lastSeq' in first ? first.lastSeq + 1 : 'anchoredSeq' in first ? 1 : undefined, reason: first.reason } : {}),
  };
}

function dedupe(problems: readonly AuditProblem[]): AuditProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = JSON.stringify(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
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
