/**
 * What the auditor's view says about an incident's audit chain and its replays, from the API's
 * answers (GET …/audit, a page at a time; POST …/replay and GET …/replays/:id). Pure: no DOM.
 */

export interface ChainVerdict {
  valid: boolean;
  entries: number;
  brokenAt?: number;
  reason?: string;
}

export interface AuditProblem {
  kind: string;
  reason: string;
  [extra: string]: unknown;
}

export interface AuditPage {
  incidentId: string;
  nextCursor: string | null;
  anchors: {
    workflow: { seq: number; hash: string } | null;
    checkpoint: { seq: number; hash: string; checkpointSeq: number; issuedAt: string; keyId: string } | null;
  };
  entries: Array<{ seq: number; at: string; actor: string; actorRole: string; action: string; outcome: string; hash: string }>;
  verification: { valid: boolean; entries: number; problems: AuditProblem[]; brokenAt?: number; reason?: string };
  custody: Array<{ artifactId: string; artifactType: string; asset: string; links: number; verification: ChainVerdict }>;
  archive: { valid: boolean; runs: number; runIndex?: number; runId?: string; reason?: string };
}

export interface AuditSummary {
  valid: boolean;
  /** Entries checked over every page. */
  entries: number;
  pages: number;
  /** The first entry that breaks the chain, when one does. */
  brokenAt?: number;
  reason?: string;
  problems: AuditProblem[];
  anchors: AuditPage['anchors'];
  custody: AuditPage['custody'];
  archive: AuditPage['archive'];
  /** The text of the status region: starts "Chain verified" or "Chain broken". */
  text: string;
}

/**
 * The whole chain's verdict from its pages in order (each page is verified from where the one
 * before ended, so the chain holds when every page does): the first broken page names where and why.
 * Custody chains and the archive must hold too; a broken one breaks the verdict, named.
 */
export function summariseAudit(pages: AuditPage[]): AuditSummary {
  const first = pages[0];
  if (!first) throw new Error('no audit page to summarise');
  const entries = pages.reduce((n, p) => n + p.verification.entries, 0);
  const problems = pages.flatMap((p) => p.verification.problems);
  const broken = pages.find((p) => !p.verification.valid);
  const brokenCustody = first.custody.filter((c) => !c.verification.valid);
  const archiveBroken = !first.archive.valid;
  const valid = !broken && brokenCustody.length === 0 && !archiveBroken;
  const anchors = [first.anchors.workflow ? `the workflow's head #${first.anchors.workflow.seq}` : '', first.anchors.checkpoint ? `signed checkpoint ${first.anchors.checkpoint.checkpointSeq}` : '']
    .filter(Boolean)
    .join(' and ');
  const summary: AuditSummary = { valid, entries, pages: pages.length, problems, anchors: first.anchors, custody: first.custody, archive: first.archive, text: '' };
  if (valid) {
    const custody = first.custody.length ? `; ${first.custody.length} custody chain${first.custody.length === 1 ? '' : 's'} intact` : '';
    const archive = first.archive.runs ? `; ${first.archive.runs} archived run${first.archive.runs === 1 ? '' : 's'} match` : '';
    summary.text = `Chain verified: ${entries} entr${entries === 1 ? 'y' : 'ies'}${anchors ? `, anchored to ${anchors}` : ''}${custody}${archive}.`;
    return summary;
  }
  if (broken) {
    const v = broken.verification;
    summary.brokenAt = v.brokenAt;
    summary.reason = v.reason ?? v.problems[0]?.reason ?? 'the chain does not verify';
    summary.text = `Chain broken${v.brokenAt !== undefined ? ` at entry ${v.brokenAt}` : ''}: ${summary.reason}`;
    return summary;
  }
  if (brokenCustody.length) {
    const c = brokenCustody[0]!;
    summary.reason = `custody chain of ${c.artifactType} from ${c.asset} (${c.artifactId})${c.verification.brokenAt !== undefined ? ` breaks at link ${c.verification.brokenAt}` : ''}: ${c.verification.reason ?? 'does not verify'}`;
    summary.text = `Chain broken: ${summary.reason}`;
    return summary;
  }
  const a = first.archive;
  summary.reason = `archived run ${a.runIndex ?? ''}${a.runId ? ` (${a.runId})` : ''}: ${a.reason ?? 'does not match its archive entry'}`.replace('run  ', 'run ');
  summary.text = `Chain broken: ${summary.reason}`;
  return summary;
}

export interface ReplayRun {
  runId: string;
  replayed: boolean;
  divergence?: { eventId?: number; kind: string; reason: string };
  note?: string;
}

export interface ReplayReport {
  incidentId: string;
  source: string;
  replayedAt?: string;
  workflowCode?: string;
  runs: ReplayRun[];
}

export interface ReplayRunning {
  incidentId: string;
  replayId: string;
  status: 'running';
}

export function isRunning(body: ReplayReport | ReplayRunning): body is ReplayRunning {
  return (body as ReplayRunning).status === 'running';
}

export interface ReplaySummary {
  matched: boolean;
  /** Starts "Replay matched" or "Replay diverged". */
  text: string;
  runs: Array<{ runId: string; matched: boolean; text: string }>;
}

/** Each run's verdict, and the incident's: matched only when every run replayed without divergence. */
export function summariseReplay(report: ReplayReport): ReplaySummary {
  const runs = report.runs.map((run) => {
    if (run.divergence) {
      const at = run.divergence.eventId !== undefined ? ` at event ${run.divergence.eventId}` : '';
      return { runId: run.runId, matched: false, text: `Diverged${at} (${run.divergence.kind}): ${run.divergence.reason}` };
    }
    if (!run.replayed) return { runId: run.runId, matched: false, text: `Not replayed${run.note ? `: ${run.note}` : ''}` };
    return { runId: run.runId, matched: true, text: run.note ? `Matched: ${run.note}` : 'Matched' };
  });
  const matched = runs.length > 0 && runs.every((r) => r.matched);
  const code = report.workflowCode ? ` against workflow code ${report.workflowCode}` : '';
  const count = `${report.runs.length} run${report.runs.length === 1 ? '' : 's'}`;
  if (matched) return { matched, runs, text: `Replay matched: ${count} replayed${code} without divergence.` };
  const firstBad = runs.find((r) => !r.matched);
  const why = firstBad ? `run ${firstBad.runId}: ${firstBad.text}` : 'the history has no run to replay';
  return { matched, runs, text: `Replay diverged: ${why}` };
}

/** Seconds to wait before asking for a running replay again: the Retry-After header, within 1–10 s. */
export function retryAfterMs(header: string | null | undefined): number {
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds <= 0) return 1_000;
  return Math.min(10, Math.max(1, seconds)) * 1_000;
}
