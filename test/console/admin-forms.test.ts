import { keyStatus, listFromText, newKeyBody, sortKeys, type KeyForm, type KeyRow } from '../../src/console/views/admin/forms';

const now = new Date('2026-12-03T12:00:00.000Z');
const form = (over: Partial<KeyForm>): KeyForm => ({ name: 'siem prod', role: 'integration', expiresAt: '', sources: 'siem', maxSeverity: '', ...over });

describe('the Issue key form', () => {
  it('sends an integration key with the sources typed, split on commas and spaces, without repeats', () => {
    expect(newKeyBody(form({ sources: ' edr, siem\nedr  cloudtrail ' }), now)).toEqual({ ok: true, body: { name: 'siem prod', role: 'integration', sources: ['edr', 'siem', 'cloudtrail'] } });
    expect(newKeyBody(form({ maxSeverity: 'high' }), now)).toEqual({ ok: true, body: { name: 'siem prod', role: 'integration', sources: ['siem'], maxSeverity: 'high' } });
  });

  it('refuses an integration key without sources, naming the field, as the API would', () => {
    expect(newKeyBody(form({ sources: ' , ' }), now)).toMatchObject({ ok: false, field: 'sources' });
  });

  it('sends no integration constraints for a person’s key, whatever the hidden fields hold', () => {
    expect(newKeyBody(form({ name: '  Dana  ', role: 'auditor', sources: 'edr', maxSeverity: 'low' }), now)).toEqual({ ok: true, body: { name: 'Dana', role: 'auditor' } });
  });

  it('turns the local expiry into an instant and refuses one in the past or a blank name', () => {
    const result = newKeyBody(form({ role: 'responder', expiresAt: '2027-01-31T09:30' }), now);
    expect(result.ok && result.body.expiresAt).toBe(new Date('2027-01-31T09:30').toISOString());
    expect(newKeyBody(form({ expiresAt: '2026-01-01T00:00' }), now)).toMatchObject({ ok: false, field: 'expiresAt' });
    expect(newKeyBody(form({ name: '   ' }), now)).toMatchObject({ ok: false, field: 'name' });
    expect(newKeyBody(form({ role: 'root' }), now)).toMatchObject({ ok: false, field: 'role' });
  });
});

describe('the keys table', () => {
  const key = (keyId: string, over: Partial<KeyRow>): KeyRow => ({ keyId, name: keyId, role: 'admin', createdAt: '2026-11-01T00:00:00Z', createdBy: null, expiresAt: null, lastUsedAt: null, revokedAt: null, ...over });

  it('lists active keys first, newest first, then expired, then revoked', () => {
    const keys = [
      key('revoked', { revokedAt: '2026-11-05T00:00:00Z', createdAt: '2026-11-04T00:00:00Z' }),
      key('old', { createdAt: '2026-10-01T00:00:00Z' }),
      key('expired', { expiresAt: '2026-12-01T00:00:00Z', createdAt: '2026-11-30T00:00:00Z' }),
      key('new', { createdAt: '2026-11-20T00:00:00Z', expiresAt: '2027-01-01T00:00:00Z' }),
    ];
    expect(sortKeys(keys, now).map((k) => [k.keyId, keyStatus(k, now)])).toEqual([
      ['new', 'active'],
      ['old', 'active'],
      ['expired', 'expired'],
      ['revoked', 'revoked'],
    ]);
  });
});

describe('the roster form', () => {
  it('takes one person or team per line, keeping the spaces inside a name', () => {
    expect(listFromText('Dana Scully\n\n  secops-oncall  \r\nDana Scully', false)).toEqual(['Dana Scully', 'secops-oncall']);
  });
});
