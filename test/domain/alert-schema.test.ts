import { AlertSchema } from '../../src/domain/alert-schema';
import { alertIdFor, dedupKeyFor, incidentIdFor } from '../../src/domain/identity';

const valid = { source: 'siem', sourceRef: 'evt-1', title: 'Brute force on vpn-gw', severity: 'high' };

describe('the alert body', () => {
  it('accepts the documented fields', () => {
    const parsed = AlertSchema.parse({
      ...valid,
      description: 'many failed logins',
      category: 'credential-access',
      dedupKey: 'vpn-bruteforce',
      occurredAt: '2026-03-01T10:00:00+01:00',
      assets: [{ kind: 'host', id: 'vpn-gw' }],
      observables: [{ kind: 'ipv4', value: '203.0.113.9' }],
      labels: { alertname: 'VpnBruteForce', job: 'vpn' },
      raw: { rule: 42 },
    });
    expect(parsed.title).toBe('Brute force on vpn-gw');
  });

  it.each([
    ['an unknown severity', { ...valid, severity: 'urgent' }, 'severity'],
    ['a missing title', { source: 'siem', sourceRef: 'x', severity: 'low' }, 'title'],
    ['control characters in the title', { ...valid, title: 'bad\u0000title' }, 'title'],
    ['a title that is too long', { ...valid, title: 'x'.repeat(301) }, 'title'],
    ['an unknown asset kind', { ...valid, assets: [{ kind: 'toaster', id: 'x' }] }, 'assets.0.kind'],
    ['a timestamp without an offset', { ...valid, occurredAt: '2026-03-01 10:00' }, 'occurredAt'],
    ['a source with spaces', { ...valid, source: 'my siem' }, 'source'],
    ['an observable of an unknown kind', { ...valid, observables: [{ kind: 'ip', value: '203.0.113.9' }] }, 'observables.0.kind'],
    ['an observable its kind refuses', { ...valid, observables: [{ kind: 'ipv4', value: '203.0.113.9' }, { kind: 'md5', value: 'not-a-hash' }] }, 'observables.1.value'],
    ['too many labels', { ...valid, labels: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`l${i}`, 'v'])) }, 'labels'],
    ['too many assets', { ...valid, assets: Array.from({ length: 101 }, (_, i) => ({ kind: 'host', id: `h${i}` })) }, 'assets'],
  ])('rejects %s, naming the field', (_label, body, field) => {
    const result = AlertSchema.safeParse(body);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('rejects unknown fields, including prototype-pollution keys', () => {
    const result = AlertSchema.safeParse(JSON.parse('{"source":"s","sourceRef":"r","title":"t","severity":"low","__proto__":{"admin":true}}'));
    expect(result.success).toBe(false);
  });
});

describe('identities', () => {
  it('gives the same alert the same id and different alerts different ids', () => {
    expect(alertIdFor('siem', 'evt-1')).toBe(alertIdFor('siem', 'evt-1'));
    expect(alertIdFor('siem', 'evt-1')).not.toBe(alertIdFor('siem', 'evt-2'));
    // The separator keeps ("a:b", "c") and ("a", "b:c") apart.
    expect(alertIdFor('a:b', 'c')).not.toBe(alertIdFor('a', 'b:c'));
  });

  it('derives one incident per dedup key, and falls back to the alert itself without one', () => {
    expect(incidentIdFor(dedupKeyFor({ ...valid, dedupKey: 'k' }))).toBe(incidentIdFor(dedupKeyFor({ ...valid, sourceRef: 'other', dedupKey: 'k' })));
    expect(dedupKeyFor(valid)).toBe('siem:evt-1');
    expect(incidentIdFor('k')).toMatch(/^[0-9a-f]{16}$/);
  });
});
