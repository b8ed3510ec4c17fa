import { DecisionSigner, newDecisionKeyPair, parseKeyring } from '../../src/decision-keys';
import { DECISION_ROLES, decisionRoleRejection } from '../../src/domain/decision-roles';
import { decisionSignatureRejection, decisionSigningBytes } from '../../src/domain/decision-signature';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex } from '@noble/curves/utils';
import { ROUTES } from '../../src/api/route-table';
import { decisionKeyCli } from '../../src/cli/decision-key';
import { maria } from '../support/principals';

const NOW = Date.parse('2026-12-03T10:00:00Z');

describe('decision signatures', () => {
  const { signingKey, verifyKey } = newDecisionKeyPair('k-2026-12');
  const signer = DecisionSigner.fromEntry(signingKey).withClock(() => NOW);
  const keyring = parseKeyring(verifyKey);
  const known = { incidentId: '0123456789abcdef', update: 'close', updateId: 'u-1', principal: maria, decision: { resolution: 'resolved', summary: 'done' } };

  it('verifies over the canonical JSON, whatever the order of the decision’s fields', async () => {
    const signature = await signer.sign(known.incidentId, known.update, known.updateId, { principal: maria, decision: { summary: 'done', resolution: 'resolved' } });
    expect(signature).toMatchObject({ keyId: 'k-2026-12', issuedAt: '2026-12-03T10:00:00.000Z' });
    expect(decisionSignatureRejection(signature, known, keyring, NOW + 1_000)).toBeUndefined();
  });

  it('signs with node:crypto exactly what @noble/curves would sign (Ed25519 is deterministic), under the key it names', async () => {
    const secret = Buffer.from(signingKey.slice(signingKey.indexOf(':') + 1), 'base64');
    expect(signer.publicKey).toBe(bytesToHex(ed25519.getPublicKey(secret)));
    expect(keyring['k-2026-12']).toBe(signer.publicKey);
    const signature = await signer.sign(known.incidentId, known.update, known.updateId, { principal: maria, decision: known.decision });
    const bytes = decisionSigningBytes({ ...known, issuedAt: signature.issuedAt });
    expect(signature.value).toBe(bytesToHex(ed25519.sign(bytes, secret)));
  });

  it('signs what the workflow will see: fields left undefined are not part of it', async () => {
    const signature = await signer.sign(known.incidentId, 'assess', 'u-2', { principal: maria, decision: { severity: 'high', dismiss: undefined } });
    expect(decisionSignatureRejection(signature, { ...known, update: 'assess', updateId: 'u-2', decision: { severity: 'high' } }, keyring, NOW)).toBeUndefined();
  });

  it('names what is wrong with each forgery', async () => {
    const signature = await signer.sign(known.incidentId, known.update, known.updateId, { principal: maria, decision: known.decision });
    expect(decisionSignatureRejection(undefined, known, keyring, NOW)).toMatch(/not signed/);
    expect(decisionSignatureRejection({ ...signature, value: 42 } as never, known, keyring, NOW)).toMatch(/malformed/);
    expect(decisionSignatureRejection({ ...signature, keyId: 'k-other' }, known, keyring, NOW)).toMatch(/key k-other, which this worker does not trust/);
    expect(decisionSignatureRejection({ ...signature, value: 'zz' }, known, keyring, NOW)).toMatch(/does not verify/);
    expect(decisionSignatureRejection(signature, { ...known, decision: { resolution: 'false_positive', summary: 'done' } }, keyring, NOW)).toMatch(/does not verify/);
    expect(decisionSignatureRejection(signature, { ...known, principal: { ...maria, role: 'admin' } }, keyring, NOW)).toMatch(/does not verify/);
    expect(decisionSignatureRejection({ ...signature, issuedAt: '2026-12-03T09:00:00.000Z' }, known, keyring, NOW)).toMatch(/does not verify/);
    expect(decisionSignatureRejection(signature, known, keyring, NOW + 5 * 60_000 + 1)).toMatch(/stale/);
    expect(decisionSignatureRejection(signature, known, keyring, NOW - 60_001)).toMatch(/in the future/);
    expect(decisionSignatureRejection(signature, known, {}, NOW)).toMatch(/does not trust/);
  });

  it('reads keyrings as the environment holds them, and refuses malformed ones by name', () => {
    const other = newDecisionKeyPair('k-2027-01').verifyKey;
    expect(Object.keys(parseKeyring(`${verifyKey}, ${other}`))).toEqual(['k-2026-12', 'k-2027-01']);
    expect(() => parseKeyring(`${verifyKey},${verifyKey}`)).toThrow(/names key k-2026-12 twice/);
    expect(() => parseKeyring('k1:dG9vIHNob3J0')).toThrow(/FIREBREAK_DECISION_VERIFY_KEYS must be <key id>:<base64 of 32 bytes>/);
    expect(() => parseKeyring(' , ')).toThrow(/names no key/);
    expect(() => DecisionSigner.fromEnvironment({})).toThrow(/FIREBREAK_DECISION_SIGNING_KEY is required/);
    expect(() => newDecisionKeyPair('no spaces')).toThrow(/key id/);
  });
});

describe('npm run decision-key', () => {
  it('prints a key pair as the two variables hold it, whose halves sign and verify', async () => {
    const out: string[] = [];
    expect(decisionKeyCli(['k-2027-01'], (l) => out.push(l))).toBe(0);
    const [signing, verify] = out.map((line) => line.slice(line.indexOf('=') + 1));
    expect(out[0]).toMatch(/^FIREBREAK_DECISION_SIGNING_KEY=k-2027-01:/);
    expect(out[1]).toMatch(/^FIREBREAK_DECISION_VERIFY_KEYS=k-2027-01:/);
    const signature = await DecisionSigner.fromEntry(signing!).withClock(() => NOW).sign('0123456789abcdef', 'close', 'u-9', { principal: maria, decision: {} });
    expect(decisionSignatureRejection(signature, { incidentId: '0123456789abcdef', update: 'close', updateId: 'u-9', principal: maria, decision: {} }, parseKeyring(verify!), NOW)).toBeUndefined();
  });

  it('refuses a missing or malformed key id with its usage', () => {
    const err: string[] = [];
    expect(decisionKeyCli([], () => undefined, (l) => err.push(l))).toBe(2);
    expect(decisionKeyCli(['two words'], () => undefined, (l) => err.push(l))).toBe(2);
    expect(err.join('\n')).toMatch(/a key id has 1 to 64 letters/);
    expect(err[0]).toMatch(/usage: npm run decision-key -- <key id>/);
  });
});

describe('who may decide what: one table for the API and the workflow', () => {
  it('gives every decision route its roles from the table, and every decision a route', () => {
    const decisionRoutes = Object.entries(ROUTES).filter(([, spec]) => 'decision' in spec && spec.decision);
    for (const [name, spec] of decisionRoutes) expect([name, spec.roles]).toEqual([name, DECISION_ROLES[name as keyof typeof DECISION_ROLES]]);
    expect(decisionRoutes.map(([name]) => name).sort()).toEqual(Object.keys(DECISION_ROLES).sort());
  });

  it('refuses roles the table does not list, naming who may', () => {
    expect(decisionRoleRejection('close', 'manager')).toBeUndefined();
    expect(decisionRoleRejection('close', 'responder')).toBe('the role responder may not close (manager may)');
    expect(decisionRoleRejection('acknowledge', 'integration')).toBe('the role integration may not acknowledge (responder or manager may)');
    expect(decisionRoleRejection('dropTables', 'admin')).toBe('no role may make the decision dropTables');
  });
});
