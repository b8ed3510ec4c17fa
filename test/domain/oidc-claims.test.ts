import { DEFAULT_ROLE_MAP_TEXT, mfaFromClaims, parseRoleMap, personFromClaims, roleFromClaims } from '../../src/domain/oidc-claims';
import { oidcSettingsFromEnvironment, safeReturnTo } from '../../src/api/oidc-login';

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

describe('sign-in settings from the environment', () => {
  const API = 'http://127.0.0.1:8080';
  const base = { FIREBREAK_OIDC_ISSUER: 'https://id.example.org/realms/sec', FIREBREAK_OIDC_CLIENT_ID: 'firebreak' };

  it('are absent without an issuer: the API takes keys only', () => {
    expect(oidcSettingsFromEnvironment({}, API)).toBeUndefined();
    expect(oidcSettingsFromEnvironment({ FIREBREAK_OIDC_ISSUER: '' }, API)).toBeUndefined();
  });

  it('default to the groups claim, the five groups, 8 hours and the API as the public origin', () => {
    const settings = oidcSettingsFromEnvironment(base, API)!;
    expect(settings).toMatchObject({ issuer: base.FIREBREAK_OIDC_ISSUER, clientId: 'firebreak', roleClaim: 'groups', scopes: 'openid profile email', publicOrigin: API, sessionHours: 8 });
    expect(settings.clientSecret).toBeUndefined();
    expect(settings.roleMap.get('firebreak-managers')).toBe('manager');
  });

  it('name the variable that is wrong', () => {
    const wrong = (env: Record<string, string>) => () => oidcSettingsFromEnvironment({ ...base, ...env }, API);
    expect(wrong({ FIREBREAK_OIDC_CLIENT_ID: '' })).toThrow(/FIREBREAK_OIDC_CLIENT_ID.*must be set too/);
    expect(() => oidcSettingsFromEnvironment({ FIREBREAK_OIDC_CLIENT_ID: 'x' }, API)).toThrow(/FIREBREAK_OIDC_ISSUER is not/);
    expect(wrong({ FIREBREAK_OIDC_ISSUER: 'http://id.example.org' })).toThrow(/FIREBREAK_OIDC_ISSUER must be https/);
    expect(wrong({ FIREBREAK_OIDC_ROLE_MAP: 'sec=ciso' })).toThrow(/FIREBREAK_OIDC_ROLE_MAP "sec=ciso": ciso is not a role/);
    expect(wrong({ FIREBREAK_PUBLIC_URL: 'http://firebreak.example.org' })).toThrow(/FIREBREAK_PUBLIC_URL must be https \(the session cookie is Secure\)/);
    expect(wrong({ FIREBREAK_SESSION_HOURS: 'eight' })).toThrow(/FIREBREAK_SESSION_HOURS/);
    expect(wrong({ FIREBREAK_SESSION_HOURS: '0' })).toThrow(/FIREBREAK_SESSION_HOURS must be more than 0/);
    expect(wrong({ FIREBREAK_OIDC_SCOPES: 'profile email' })).toThrow(/FIREBREAK_OIDC_SCOPES must include openid/);
    expect(() => oidcSettingsFromEnvironment(base, 'http://0.0.0.0:8080')).toThrow(/FIREBREAK_PUBLIC_URL: required when the API listens on every address/);
  });

  it('take the public origin from FIREBREAK_PUBLIC_URL, without its path', () => {
    expect(oidcSettingsFromEnvironment({ ...base, FIREBREAK_PUBLIC_URL: 'https://firebreak.example.org/' }, 'http://0.0.0.0:8080')!.publicOrigin).toBe('https://firebreak.example.org');
  });
});

describe('where a sign-in returns to', () => {
  const ORIGIN = 'https://firebreak.example.org';
  it.each([
    ['/console/incidents/abc?tab=timeline', '/console/incidents/abc?tab=timeline'],
    ['/console', '/console'],
    ['https://evil.example/console/', '/console/'],
    ['//evil.example/console/', '/console/'],
    ['/\\evil.example/console/', '/console/'],
    ['/console/../v1/admin/keys', '/console/'],
    ['/consoleevil', '/console/'],
    ['/v1/incidents', '/console/'],
    [undefined, '/console/'],
  ])('%s → %s', (returnTo, expected) => {
    expect(safeReturnTo(returnTo, ORIGIN)).toBe(expected);
  });
});
