import { auditHash, GENESIS_HASH, verifyAuditSection, type AuditEntry, type ChainAnchor, type StoredChainFacts } from '../../src/domain/audit-chain';
import { merkleRoot, type HeadLeaf } from '../../src/domain/merkle';
import { checkpointFault, newCheckpointKeyPair, parseSigningKey, parseVerifyKeys, signCheckpoint } from '../../src/audit/checkpoints';
import { timelinePage, type TimelineItem } from '../../src/audit/timeline';
import { loadSignerConfig } from '../../src/signer/signer-config';

/** A chain of `n` entries of one incident, hashed as the audit log hashes them. */
function chain(n: number, incidentId = 'abcdef0123456789'): AuditEntry[] {
  const entries: AuditEntry[] = [];
  let prevHash = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const body = { incidentId, seq, entryKey: `k${seq}`, at: new Date(Date.UTC(2026, 0, 1, 0, seq)).toISOString(), actor: 'dana', actorRole: 'manager', action: 'note', outcome: 'applied', details: { n: seq }, prevHash };
    const entry = { ...body, hash: auditHash(body) };
    entries.push(entry);
    prevHash = entry.hash;
  }
  return entries;
}

/** Recomputes every hash from the first entry on, as an attacker with the table would. */
function recompute(entries: AuditEntry[]): AuditEntry[] {
  let prevHash = GENESIS_HASH;
  return entries.map((e) => {
    const body = { ...e, prevHash };
    delete (body as Partial<AuditEntry>).hash;
    const hash = auditHash(body);
    prevHash = hash;
    return { ...body, hash };
  });
}

const factsOf = (entries: readonly AuditEntry[]): StoredChainFacts => ({ lastSeq: entries.at(-1)?.seq ?? 0, hashAt: (seq) => entries.find((e) => e.seq === seq)?.hash });
const anchorOf = (entries: readonly AuditEntry[], source: ChainAnchor['source'] = 'workflow'): ChainAnchor => ({ seq: entries.at(-1)!.seq, hash: entries.at(-1)!.hash, source });
const verify = (entries: AuditEntry[], anchors: ChainAnchor[]) => verifyAuditSection(entries, { anchors, stored: factsOf(entries) });

describe('verifying an anchored audit chain', () => {
  const original = chain(6);
  const anchors = [anchorOf(original, 'workflow'), anchorOf(original, 'checkpoint')];

  it('finds nothing wrong with the chain as written', () => {
    expect(verify(original, anchors)).toEqual({ valid: true, entries: 6, problems: [] });
  });

  it('names an edited entry', () => {
    const edited = original.map((e) => (e.seq === 3 ? { ...e, actor: 'mallory' } : e));
    const verdict = verify(edited, anchors);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toEqual([{ kind: 'altered_entry', seq: 3, reason: 'entry 3 was altered after it was written' }]);
    expect(verdict).toMatchObject({ brokenAt: 3, reason: 'entry 3 was altered after it was written' });
  });

  it('names a cut tail, which the chain alone cannot show', () => {
    const cut = original.slice(0, 4);
    expect(verifyAuditSection(cut).valid).toBe(true);
    const verdict = verify(cut, anchors);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toEqual([
      { kind: 'cut_tail', lastSeq: 4, anchoredSeq: 6, anchor: 'workflow', reason: "the chain ends at entry 4, but the incident's workflow holds 6" },
      { kind: 'cut_tail', lastSeq: 4, anchoredSeq: 6, anchor: 'checkpoint', reason: 'the chain ends at entry 4, but a signed checkpoint holds 6' },
    ]);
  });

  it('names an emptied incident', () => {
    const verdict = verify([], anchors);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems.map((p) => p.kind)).toEqual(['emptied_incident', 'emptied_incident']);
    expect(verdict.problems[0]).toMatchObject({ anchoredSeq: 6, anchor: 'workflow' });
  });

  it('names a recomputed chain: every link holds, but not the anchored hash', () => {
    const rewritten = recompute(original.map((e) => (e.seq === 2 ? { ...e, details: { n: 'rewritten' } } : e)));
    expect(verifyAuditSection(rewritten).valid).toBe(true);
    const verdict = verify(rewritten, anchors);
    expect(verdict.valid).toBe(false);
    expect(verdict.problems).toEqual([
      { kind: 'recomputed_chain', seq: 6, anchor: 'workflow', reason: "entry 6 does not carry the hash the incident's workflow holds: the chain was rewritten" },
      { kind: 'recomputed_chain', seq: 6, anchor: 'checkpoint', reason: 'entry 6 does not carry the hash a signed checkpoint holds: the chain was rewritten' },
    ]);
  });

  it('verifies a page from the previous page’s last hash, and names a page that does not continue it', () => {
    const [first, second] = [original.slice(0, 3), original.slice(3)];
    const after = { seq: first.at(-1)!.seq, hash: first.at(-1)!.hash };
    expect(verifyAuditSection(second, { after })).toEqual({ valid: true, entries: 3, problems: [] });
    expect(verifyAuditSection(second, { after: { seq: 3, hash: 'f'.repeat(64) } }).problems).toEqual([{ kind: 'broken_link', seq: 4, reason: 'entry 4 does not link to entry 3' }]);
    expect(verifyAuditSection(original.slice(4), { after }).problems).toEqual([{ kind: 'missing_entry', seq: 4, reason: 'entry 4 is missing' }]);
  });
});

describe('signed checkpoints', () => {
  const heads: HeadLeaf[] = [
    { incidentId: 'bbbbbbbbbbbbbbbb', seq: 4, hash: 'b'.repeat(64) },
    { incidentId: 'aaaaaaaaaaaaaaaa', seq: 9, hash: 'a'.repeat(64) },
    { incidentId: 'cccccccccccccccc', seq: 1, hash: 'c'.repeat(64) },
  ];

  it('computes one Merkle root whatever order the heads come in, and another when any head changes', () => {
    const root = merkleRoot(heads);
    expect(root).toMatch(/^[0-9a-f]{64}$/);
    expect(merkleRoot([...heads].reverse())).toBe(root);
    expect(merkleRoot(heads.map((h, i) => (i === 1 ? { ...h, seq: 8 } : h)))).not.toBe(root);
    expect(merkleRoot(heads.slice(0, 2))).not.toBe(root);
    // RFC 6962: the empty tree is SHA-256 of nothing.
    expect(merkleRoot([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('verifies under the trusted key and names a forged signature, an untrusted key and swapped heads', () => {
    const pair = newCheckpointKeyPair('signer-1');
    const other = newCheckpointKeyPair('signer-1');
    const keys = parseVerifyKeys(pair.verifyKey);
    const checkpoint = signCheckpoint({ seq: 1, issuedAt: '2026-12-03T00:00:00.000Z', heads, entries: 14, globalSeq: 14, previous: null, diverged: [] }, parseSigningKey(pair.signingKey));
    expect(checkpoint.statement).toMatchObject({ seq: 1, keyId: 'signer-1', incidents: 3, root: merkleRoot(heads) });
    expect(checkpointFault(checkpoint, keys)).toBeUndefined();

    const byOther = signCheckpoint({ seq: 1, issuedAt: '2026-12-03T00:00:00.000Z', heads, entries: 14, globalSeq: 14, previous: null, diverged: [] }, parseSigningKey(other.signingKey));
    expect(checkpointFault(byOther, keys)).toBe('checkpoint 1 does not carry a valid signature');
    expect(checkpointFault(checkpoint, parseVerifyKeys(newCheckpointKeyPair('signer-2').verifyKey))).toBe('checkpoint 1 is signed with key signer-1, which is not trusted');
    const swapped = { ...checkpoint, heads: checkpoint.heads.map((h) => (h.incidentId === 'aaaaaaaaaaaaaaaa' ? { ...h, hash: 'd'.repeat(64) } : h)) };
    expect(checkpointFault(swapped, keys)).toBe('the heads stored with checkpoint 1 do not match its signed root');
    expect(checkpointFault({ ...checkpoint, statement: { ...checkpoint.statement, entries: 13 } }, keys)).toBe('checkpoint 1 does not carry a valid signature');
  });

  it('refuses a key that is not <key id>:<base64 of 32 bytes>, naming the variable', () => {
    expect(() => parseSigningKey('nokey')).toThrow('FIREBREAK_CHECKPOINT_SIGNING_KEY must be <key id>:<base64 of 32 bytes>');
    expect(() => parseVerifyKeys('k1:AAAA')).toThrow('FIREBREAK_CHECKPOINT_VERIFY_KEYS must be <key id>:<base64 of 32 bytes>');
    const { verifyKey } = newCheckpointKeyPair('k1');
    expect(() => parseVerifyKeys(`${verifyKey},${verifyKey}`)).toThrow('names key k1 twice');
  });
});

describe('a timeline a page at a time', () => {
  const items: TimelineItem[] = Array.from({ length: 7 }, (_, i) => ({ at: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(), kind: 'note', action: 'note', outcome: 'recorded', source: 'history', eventId: i + 1 }));

  it('walks every item once across pages, each page verified from the one before', () => {
    const seen: TimelineItem[] = [];
    let page = timelinePage(items, { limit: 3 });
    seen.push(...page.items);
    while (page.next) {
      page = timelinePage(items, { after: page.next, limit: 3 });
      expect(page.verification).toEqual({ valid: true, problems: [] });
      seen.push(...page.items);
    }
    expect(seen).toEqual(items);
  });

  it('says when the items before a page are not the ones the previous pages showed', () => {
    const first = timelinePage(items, { limit: 3 });
    const changed = items.map((item, i) => (i === 1 ? { ...item, actor: 'mallory' } : item));
    const second = timelinePage(changed, { after: first.next!, limit: 3 });
    expect(second.verification).toEqual({ valid: false, problems: [{ kind: 'timeline_changed', position: 3, reason: 'the 3 items before this page are not the ones the previous pages showed' }] });
  });
});

describe("the signer's configuration", () => {
  it('names every variable it misses, and takes a complete one', () => {
    expect(() => loadSignerConfig({})).toThrow(
      'invalid configuration: SIGNER_DATABASE_URL: is required: the signer connects with its own credentials (a login role in firebreak_signer); FIREBREAK_CHECKPOINT_SIGNING_KEY: is required',
    );
    const { signingKey } = newCheckpointKeyPair('signer-1');
    const env = { SIGNER_DATABASE_URL: 'postgres://signer:pw@db/firebreak', FIREBREAK_CHECKPOINT_SIGNING_KEY: signingKey };
    expect(() => loadSignerConfig({ ...env, FIREBREAK_CHECKPOINT_EVERY: '15 minutes' })).toThrow('FIREBREAK_CHECKPOINT_EVERY: a whole number of s, m, h or d, e.g. 15m');
    expect(loadSignerConfig(env)).toMatchObject({ databaseUrl: env.SIGNER_DATABASE_URL, every: '15m', taskQueue: 'incidents', key: { keyId: 'signer-1' } });
  });
});
