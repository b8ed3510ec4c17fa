import type { AuditLog, StoredAuditEntry } from '../db/audit-log';
import type { CheckpointStore } from '../db/checkpoint-store';
import { verifyAuditSection, type AuditProblem, type AuditVerdict, type ChainAnchor, type ChainHead } from '../domain/audit-chain';
import { checkpointFault, type CheckpointKeyring } from './checkpoints';

/** What vouched for the chain on this page: the workflow's head and the latest signed checkpoint's. */
export interface AuditAnchors {
  workflow: ChainHead | null;
  checkpoint: (ChainHead & { checkpointSeq: number; issuedAt: string; keyId: string }) | null;
}

export interface AuditPage {
  entries: StoredAuditEntry[];
  verification: AuditVerdict;
  anchors: AuditAnchors;
  /** The last entry of the page, where the next page continues from; none after the last page. */
  next?: ChainHead;
}

/**
 * An incident's audit log a page at a time, each page verified from the previous page's last hash
 * and against the anchors outside the log's own rows: the chain head the incident's workflow holds
 * (in Temporal) and the latest signed checkpoint holding the incident. Both anchors are checked on
 * every page (two small queries), so a cut tail, an emptied incident or a recomputed chain shows on
 * the first page; an edited entry shows on the page that holds it.
 */
export class AnchoredAudit {
  constructor(
    private readonly auditLog: AuditLog,
    private readonly checkpoints: CheckpointStore,
    private readonly keys: CheckpointKeyring | undefined,
  ) {}

  private readonly verified = new Map<number, { statementHash: string; signature: string; heads: Map<string, ChainHead> }>();

  async page(incidentId: string, options: { after?: ChainHead; limit: number; workflowHead?: ChainHead }): Promise<AuditPage> {
    const [entries, checkpoint] = await Promise.all([this.auditLog.page(incidentId, options.after?.seq ?? 0, options.limit + 1), this.checkpointAnchor(incidentId)]);
    const more = entries.length > options.limit;
    const shown = more ? entries.slice(0, options.limit) : entries;
    const anchors: ChainAnchor[] = [];
    if (options.workflowHead && options.workflowHead.seq > 0) anchors.push({ ...options.workflowHead, source: 'workflow' });
    if (checkpoint.head) anchors.push({ seq: checkpoint.head.seq, hash: checkpoint.head.hash, source: 'checkpoint' });
    const stored = await this.auditLog.facts(incidentId, anchors.map((a) => a.seq));
    const verification = verifyAuditSection(shown, { after: options.after, anchors, stored, problems: checkpoint.problems });
    const last = shown.at(-1);
    return {
      entries: shown,
      verification,
      anchors: { workflow: options.workflowHead && options.workflowHead.seq > 0 ? { seq: options.workflowHead.seq, hash: options.workflowHead.hash } : null, checkpoint: checkpoint.head ?? null },
      ...(more && last ? { next: { seq: last.seq, hash: last.hash } } : {}),
    };
  }

  /**
   * The incident's head in the latest checkpoint that holds it, if that checkpoint's signature and
   * root hold. Verifying a checkpoint means hashing every head it signed, so a verified one is kept
   * (the last few, by seq): later pages read only their incident's stored head, and a stored head
   * that is not the one signed is named all the same.
   */
  private async checkpointAnchor(incidentId: string): Promise<{ head?: AuditAnchors['checkpoint']; problems: AuditProblem[] }> {
    if (!this.keys) return { problems: [] };
    const found = await this.checkpoints.latestHeadFor(incidentId);
    if (!found) return { problems: [] };
    const { statement, statementHash, signature } = found.checkpoint;
    let trusted = this.verified.get(statement.seq);
    if (!trusted || trusted.statementHash !== statementHash || trusted.signature !== signature) {
      const checkpoint = { ...found.checkpoint, heads: await this.checkpoints.headsOf(statement.seq) };
      const fault = checkpointFault(checkpoint, this.keys);
      if (fault) return { problems: [{ kind: 'checkpoint_invalid', checkpointSeq: statement.seq, reason: fault }] };
      trusted = { statementHash, signature, heads: new Map(checkpoint.heads.map((h) => [h.incidentId, { seq: h.seq, hash: h.hash }])) };
      this.verified.set(statement.seq, trusted);
      for (const seq of [...this.verified.keys()].sort((a, b) => a - b).slice(0, Math.max(this.verified.size - VERIFIED_KEPT, 0))) this.verified.delete(seq);
    }
    const head = trusted.heads.get(incidentId);
    if (!head) return { problems: [] };
    const problems: AuditProblem[] =
      head.seq === found.head.seq && head.hash === found.head.hash
        ? []
        : [{ kind: 'checkpoint_invalid', checkpointSeq: statement.seq, reason: `the heads stored with checkpoint ${statement.seq} do not match its signed root` }];
    return { head: { seq: head.seq, hash: head.hash, checkpointSeq: statement.seq, issuedAt: statement.issuedAt, keyId: statement.keyId }, problems };
  }
}

/** Verified checkpoints kept in memory. */
const VERIFIED_KEPT = 4;
