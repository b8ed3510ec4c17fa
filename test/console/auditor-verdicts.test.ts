import { retryAfterMs, summariseAudit, summariseReplay, isRunning, type AuditPage } from '../../src/console/views/auditor/verdicts';

const page = (over: Partial<AuditPage> = {}): AuditPage => ({
  incidentId: '0123456789abcdef',
  nextCursor: null,
  anchors: { workflow: { seq: 41, hash: 'h41' }, checkpoint: { seq: 40, hash: 'h40', checkpointSeq: 7, issuedAt: '2026-12-03T10:00:00Z', keyId: 'ck1' } },
  entries: [],
  verification: { valid: true, entries: 200, problems: [] },
  custody: [{ artifactId: 'a1', artifactType: 'memory', asset: 'host:web-01', links: 3, verification: { valid: true, entries: 3 } }],
  archive: { valid: true, runs: 0 },
  ...over,
});

describe('the audit chain verdict an auditor reads', () => {
  it('is "Chain verified" with every page’s entries, its anchors and the intact custody chains', () => {
    const summary = summariseAudit([page({ nextCursor: 'c1' }), page({ verification: { valid: true, entries: 42, problems: [] } })]);
    expect(summary.valid).toBe(true);
    expect(summary.entries).toBe(242);
    expect(summary.text).toBe("Chain verified: 242 entries, anchored to the workflow's head #41 and signed checkpoint 7; 1 custody chain intact.");
  });

  it('names the first broken entry and why, from the first page that does not verify', () => {
    const summary = summariseAudit([
      page({ nextCursor: 'c1' }),
      page({
        nextCursor: 'c2',
        verification: { valid: false, entries: 200, brokenAt: 317, reason: 'entry 317 hash does not match its content', problems: [{ kind: 'altered_entry', reason: 'entry 317 hash does not match its content' }] },
      }),
      page({ verification: { valid: false, entries: 10, brokenAt: 405, reason: 'later', problems: [{ kind: 'broken_link', reason: 'later' }] } }),
    ]);
    expect(summary.valid).toBe(false);
    expect(summary.brokenAt).toBe(317);
    expect(summary.text).toBe('Chain broken at entry 317: entry 317 hash does not match its content');
    expect(summary.problems.map((p) => p.kind)).toEqual(['altered_entry', 'broken_link']);
  });

  it('takes the first problem’s reason when the verdict gives no reason of its own', () => {
    const summary = summariseAudit([page({ verification: { valid: false, entries: 5, problems: [{ kind: 'cut_tail', reason: 'the chain ends before the workflow head #41' }] } })]);
    expect(summary.text).toBe('Chain broken: the chain ends before the workflow head #41');
  });

  it('is broken when a custody chain or an archived run does not verify, and says which', () => {
    const custody = summariseAudit([
      page({ custody: [{ artifactId: 'a9', artifactType: 'disk', asset: 'host:db-02', links: 4, verification: { valid: false, entries: 4, brokenAt: 2, reason: 'hash mismatch' } }] }),
    ]);
    expect(custody.valid).toBe(false);
    expect(custody.text).toBe('Chain broken: custody chain of disk from host:db-02 (a9) breaks at link 2: hash mismatch');
    const archive = summariseAudit([page({ archive: { valid: false, runs: 2, runIndex: 1, runId: 'r-2', reason: 'sha256 differs' } })]);
    expect(archive.text).toBe('Chain broken: archived run 1 (r-2): sha256 differs');
  });
});

describe('the replay verdict', () => {
  it('matches only when every run replayed without divergence, naming the workflow code', () => {
    const summary = summariseReplay({ incidentId: 'x', source: 'temporal', workflowCode: 'abcdef123456', runs: [{ runId: 'r1', replayed: true }, { runId: 'r2', replayed: true, note: 'nothing to check' }] });
    expect(summary.matched).toBe(true);
    expect(summary.text).toBe('Replay matched: 2 runs replayed against workflow code abcdef123456 without divergence.');
    expect(summary.runs).toEqual([
      { runId: 'r1', matched: true, text: 'Matched' },
      { runId: 'r2', matched: true, text: 'Matched: nothing to check' },
    ]);
  });

  it('diverges at the first run that did, with the event and the reason', () => {
    const summary = summariseReplay({
      incidentId: 'x',
      source: 'temporal',
      runs: [
        { runId: 'r1', replayed: true },
        { runId: 'r2', replayed: false, divergence: { eventId: 17, kind: 'DeterminismViolationError', reason: 'timer 3 was not scheduled' } },
      ],
    });
    expect(summary.matched).toBe(false);
    expect(summary.text).toBe('Replay diverged: run r2: Diverged at event 17 (DeterminismViolationError): timer 3 was not scheduled');
    expect(summary.runs[0]!.matched).toBe(true);
  });

  it('does not call a history without runs matched', () => {
    expect(summariseReplay({ incidentId: 'x', source: 'temporal', runs: [] }).text).toBe('Replay diverged: the history has no run to replay');
  });

  it('tells a running replay from a verdict, and polls after Retry-After within 1–10 s', () => {
    expect(isRunning({ incidentId: 'x', replayId: 'r', status: 'running' })).toBe(true);
    expect(isRunning({ incidentId: 'x', source: 'temporal', runs: [] })).toBe(false);
    expect(retryAfterMs('2')).toBe(2_000);
    expect(retryAfterMs(null)).toBe(1_000);
    expect(retryAfterMs('120')).toBe(10_000);
    expect(retryAfterMs('junk')).toBe(1_000);
  });
});
