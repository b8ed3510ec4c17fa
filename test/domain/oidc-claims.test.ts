import { DEFAULT_ROLE_MAP_TEXT, mfaFromClaims, parseRoleMap, personFromClaims, roleFromClaims } from '../../src/domain/oidc-claims';

const ISSUER = 'https://id.example.org';
const map = parseRoleMap(DEFAULT_ROLE_MAP_TEXT);

describe('the role map', () => {
  it('maps the five default groups to the five roles', () => {
    expect(Object.fromEntries(map)).toEqual({
      'firebreak-responders': 'responder',
      'firebreak-managers': 'manager',
      'firebreak-auditors': 'auditor',
      'firebreak-admins': 'admin',
      'firebreak-integrations': 'integration',
    });
  });

  it('refuses an unknown role, a missing role, a group mapped twice and an empty map, naming the entry', () => {
    expect(() => parseRoleMap('sec-team=ciso')).toThrow('"sec-team=ciso": ciso is not a role');
    expect(() => parseRoleMap('sec-team')).toThrow('"sec-team" is not group=role');
    expect(() => parseRoleMap('a=manager,a=auditor')).toThrow('"a" is mapped twice');
    expect(() => parseRoleMap(' , ')).toThrow('maps no group to a role');
  });

  it('keeps group names with = in them by splitting at the last =', () => {
    expect(parseRoleMap('cn=ir-team=manager').get('cn=ir-team')).toBe('manager');
  });
});

describe('a role from claims', () => {
  it('gives the role of the one mapped group and ignores groups that map to nothing', () => {
    expect(roleFromClaims({ groups: ['staff', 'firebreak-managers'] }, 'groups', map)).toEqual({ role: 'manager', groups: ['firebreak-managers'] });
  });

  it('accepts a single string and a dotted path into an object claim', () => {
    expect(roleFromClaims({ groups: 'firebreak-auditors' }, 'groups', map).role).toBe('auditor');
    expect(roleFromClaims({ realm_access: { roles: ['firebreak-admins'] } }, 'realm_access.roles', map).role).toBe('admin');
  });

  it('refuses a person with no mapped group, and says whether the claim was missing', () => {
    expect(roleFromClaims({ groups: ['staff'] }, 'groups', map)).toEqual({ reason: 'none of the groups values gives a Firebreak role' });
    expect(roleFromClaims({ sub: 'x' }, 'groups', map)).toEqual({ reason: 'the identity provider sent no groups claim' });
  });

  it('refuses groups that give two different roles instead of picking one', () => {
    const decision = roleFromClaims({ groups: ['firebreak-responders', 'firebreak-admins'] }, 'groups', map);
    expect(decision.role).toBeUndefined();
    expect(decision).toEqual({ reason: expect.stringContaining('give more than one role (responder, admin)') });
  });

  it('accepts two groups that give the same role', () => {
    const two = parseRoleMap('ir-leads=manager,ciso-office=manager');
    expect(roleFromClaims({ groups: ['ir-leads', 'ciso-office'] }, 'groups', two).role).toBe('manager');
  });
});

describe('MFA from claims', () => {
  it('is true for a second factor in amr or an MFA acr, false for a password alone or silence', () => {
    expect(mfaFromClaims({ amr: ['pwd', 'otp'] })).toBe(true);
    expect(mfaFromClaims({ amr: ['hwk'] })).toBe(true);
    expect(mfaFromClaims({ amr: ['mfa'] })).toBe(true);
    expect(mfaFromClaims({ acr: 'http://schemas.openid.net/pape/policies/2007/06/multi-factor' })).toBe(true);
    expect(mfaFromClaims({ amr: ['pwd'] })).toBe(false);
    expect(mfaFromClaims({ amr: ['pwd'], acr: '1' })).toBe(false);
    expect(mfaFromClaims({})).toBe(false);
  });
});

describe('the person from claims', () => {
  it('keeps subject, issuer, name, the time of authentication as ISO, MFA and amr', () => {
    expect(personFromClaims({ sub: 'manager', name: 'Morgan Manager', auth_time: 1_796_000_000, amr: ['pwd', 'otp'] }, ISSUER)).toEqual({
      subject: 'manager',
      issuer: ISSUER,
      name: 'Morgan Manager',
      authTime: '2026-11-30T00:53:20.000Z',
      mfa: true,
      amr: ['pwd', 'otp'],
    });
  });

  it('falls back to preferred_username, then the subject, and leaves out what the IdP did not say', () => {
    expect(personFromClaims({ sub: 's-1', preferred_username: 'rory' }, ISSUER)).toEqual({ subject: 's-1', issuer: ISSUER, name: 'rory', mfa: false });
    expect(personFromClaims({ sub: 's-2', name: '  ' }, ISSUER).name).toBe('s-2');
  });

  it('refuses claims without a subject', () => {
    expect(() => personFromClaims({ name: 'Nobody' }, ISSUER)).toThrow('no sub');
  });
});
