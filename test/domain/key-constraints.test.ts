import { cappedSeverity, constraintViolation, incidentDedupKey, UNCONSTRAINED, type KeyConstraints } from '../../src/domain/key-constraints';
import { containmentPlanDigest, pendingPlanDigest, planChangedRejection } from '../../src/domain/containment-plan-digest';
import { containmentPlan } from '../../src/domain/response-plan';
import { createHash } from 'node:crypto';

const key = (c: Partial<KeyConstraints>): KeyConstraints => ({ ...UNCONSTRAINED, correlateAcrossSources: false, ...c });

describe('key constraints', () => {
  it('bind a key to its sources', () => {
    expect(constraintViolation(key({ sources: ['edr'] }), { source: 'edr', severity: 'low' })).toBeUndefined();
    expect(constraintViolation(key({ sources: ['edr'] }), { source: 'ids', severity: 'low' })).toEqual({ field: 'source', message: 'this key reports only for edr, not ids' });
    expect(constraintViolation(UNCONSTRAINED, { source: 'anything', severity: 'critical' })).toBeUndefined();
  });

  it('name the first asset of a kind the key may not name', () => {
    const c = key({ assetKinds: ['host', 'address'] });
    expect(constraintViolation(c, { source: 'x', severity: 'low', assets: [{ kind: 'host' }, { kind: 'address' }] })).toBeUndefined();
    expect(constraintViolation(c, { source: 'x', severity: 'low', assets: [{ kind: 'host' }, { kind: 'account' }, { kind: 'service' }] })).toMatchObject({ field: 'assets.1.kind' });
  });

  it('cap the severity at the key’s maximum, leaving lower ones alone', () => {
    const c = key({ maxSeverity: 'medium' });
    expect(['critical', 'high', 'medium', 'low'].map((s) => cappedSeverity(c, s as 'low'))).toEqual(['medium', 'medium', 'medium', 'low']);
    expect(cappedSeverity(UNCONSTRAINED, 'critical')).toBe('critical');
  });

  it('scope dedup keys to the source unless the key correlates, without colliding with any unscoped key', () => {
    expect(incidentDedupKey(key({}), 'edr', 'web-01')).toBe('edr web-01');
    expect(incidentDedupKey(UNCONSTRAINED, 'edr', 'web-01')).toBe('web-01');
    // Sources and dedup keys have no spaces, so a scoped key never equals one a correlating key sends.
    expect(incidentDedupKey(key({}), 'edr', 'x')).not.toBe(incidentDedupKey(key({}), 'edr x', ''));
  });
});

describe('containment plan digest', () => {
  const web = { kind: 'host' as const, id: 'web-01' };
  const db = { kind: 'host' as const, id: 'db-01' };

  it('is the SHA-256 of the plan as written, the same as node:crypto computes', () => {
    const plan = containmentPlan([web]);
    const expected = createHash('sha256').update(JSON.stringify([['host', 'web-01', 'isolate_host', true]])).digest('hex');
    expect(containmentPlanDigest(plan)).toBe(`sha256:${expected}`);
  });

  it('changes when the plan does, and refuses an approval of the old one', () => {
    const seen = pendingPlanDigest([web]);
    expect(pendingPlanDigest([web, db])).not.toBe(seen);
    expect(planChangedRejection([web], seen)).toBeUndefined();
    expect(planChangedRejection([web], undefined)).toBeUndefined();
    expect(planChangedRejection([web, db], seen)).toMatch(/containment plan changed since sha256:[0-9a-f]{64}: it is now sha256:[0-9a-f]{64} \(2 assets\)/);
  });
});
