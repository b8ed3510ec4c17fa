import { GENESIS_HASH } from '../../src/domain/audit-chain';
import { archiveRunEntry, runDigest, verifyArchive } from '../../src/domain/archive-digest';
import { custodyLinkHash, type EvidenceRecord, type VersionedCustodyLink } from '../../src/domain/custody-link';

const evidence: EvidenceRecord = {
  incidentId: 'a1b2c3d4e5f60718', assetKind: 'host', assetId: 'web-01', artifactType: 'memory', volatilityRank: 1,
  sha256: 'a'.repeat(64), sizeBytes: 4096, location: 's3://evidence/web-01/memory', collectedBy: 'forensics-bot', collectedAt: '2026-12-01T10:00:00.000Z',
};
const first = (version: 1 | 2): VersionedCustodyLink => ({
  artifactId: '7', seq: 1, action: 'collected', fromCustodian: 'host:web-01', toCustodian: 'forensics-bot', sha256: 'a'.repeat(64), at: '2026-12-01T10:00:00.000Z', prevHash: GENESIS_HASH, version,
});

describe('custody link hashes', () => {
  it('hashes a version-1 link exactly as chains written before version 2 were hashed', () => {
    // The hash of this link as 0.4.0 computed it: existing custody chains must keep verifying.
    expect(custodyLinkHash(first(1))).toBe('bebe26c39c883ef3ff60bfb7150a2f2c59e975716299407fbc08b69cd9488004');
    expect(custodyLinkHash(first(1), evidence)).toBe(custodyLinkHash(first(1)));
  });

  it.each<[string, Partial<EvidenceRecord>]>([
    ['location', { location: 's3://elsewhere/memory' }],
    ['size', { sizeBytes: 4097 }],
    ['incident', { incidentId: 'ffffffffffffffff' }],
    ['asset', { assetId: 'web-02' }],
    ['asset kind', { assetKind: 'account' }],
    ['artifact type', { artifactType: 'disk' }],
    ['digest', { sha256: 'b'.repeat(64) }],
    ['collector', { collectedBy: 'someone-else' }],
  ])('commits a version-2 first link to the evidence record: another %s gives another hash', (_field, change) => {
    expect(custodyLinkHash(first(2), { ...evidence, ...change })).not.toBe(custodyLinkHash(first(2), evidence));
  });

  it('differs from version 1, and refuses a version-2 first link without its evidence record', () => {
    expect(custodyLinkHash(first(2), evidence)).not.toBe(custodyLinkHash(first(1)));
    expect(() => custodyLinkHash(first(2))).toThrow('custody link 1 of artifact 7 commits to its evidence record, and none was given');
    // Later links commit to the record through the chain; they hash their version too.
    const second = { ...first(2), seq: 2, action: 'transferred', prevHash: custodyLinkHash(first(2), evidence) };
    expect(custodyLinkHash(second)).not.toBe(custodyLinkHash({ ...second, version: 1 }));
  });
});

describe('archived run digests', () => {
  const history = { events: [{ eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', attributes: { a: 1, b: [2, 3] } }] };
  const chained = [archiveRunEntry({ runIndex: 0, runId: 'run-1', sha256: runDigest(history), events: 1 }, '2026-12-01T10:00:00.000Z', 'firebreak')];

  it('does not depend on the order the store gives keys back in', () => {
    const reordered = { events: [{ attributes: { b: [2, 3], a: 1 }, eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED', eventId: '1' }] };
    expect(runDigest(reordered)).toBe(runDigest(history));
    expect(runDigest(history)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('records the run, its place and its digest in an audit entry keyed by the run', () => {
    expect(chained[0]).toMatchObject({ entryKey: 'archive:0:run-1', action: 'archive_run', outcome: 'recorded', actorRole: 'system', details: { runIndex: 0, runId: 'run-1', sha256: runDigest(history), events: 1 } });
  });

  it('names the run that was altered, is missing, was swapped or was never chained', () => {
    expect(verifyArchive([{ runIndex: 0, runId: 'run-1', sha256: runDigest(history) }], chained)).toEqual({ valid: true, runs: 1 });
    expect(verifyArchive([{ runIndex: 0, runId: 'run-1', sha256: runDigest({ events: [] }) }], chained)).toEqual({ valid: false, runs: 1, runIndex: 0, runId: 'run-1', reason: 'run run-1 was altered after it was archived' });
    expect(verifyArchive([], chained)).toEqual({ valid: false, runs: 0, runIndex: 0, runId: 'run-1', reason: 'run run-1 (1 of the incident) is missing from the archive' });
    expect(verifyArchive([{ runIndex: 0, runId: 'run-9', sha256: runDigest(history) }], chained)).toMatchObject({ valid: false, reason: 'run 1 of the incident is run-9 in the archive, but run-1 in the audit log' });
    expect(verifyArchive([{ runIndex: 0, runId: 'run-1', sha256: runDigest(history) }, { runIndex: 1, runId: 'run-2', sha256: runDigest(history) }], chained)).toMatchObject({
      valid: false, runIndex: 1, reason: 'run run-2 has no digest in the audit log',
    });
  });
});
