import { ROLES, type Person, type Role } from './principal';

/** Which IdP group (or other claim value) gives which role. */
export type RoleMap = ReadonlyMap<string, Role>;

/** FIREBREAK_OIDC_ROLE_MAP when it is not set. */
export const DEFAULT_ROLE_MAP_TEXT =
  'firebreak-responders=responder,firebreak-managers=manager,firebreak-auditors=auditor,firebreak-admins=admin,firebreak-integrations=integration';

/** `group=role,group=role`: every role one of the five, every group named once. Throws naming the entry that is wrong. */
export function parseRoleMap(text: string): RoleMap {
  const map = new Map<string, Role>();
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const at = entry.lastIndexOf('=');
    const group = at > 0 ? entry.slice(0, at).trim() : '';
    const role = at > 0 ? entry.slice(at + 1).trim() : '';
    if (!group || !role) throw new Error(`"${entry}" is not group=role`);
    if (!(ROLES as readonly string[]).includes(role)) throw new Error(`"${entry}": ${role} is not a role (${ROLES.join(', ')})`);
    if (map.has(group)) throw new Error(`"${group}" is mapped twice`);
    map.set(group, role as Role);
  }
  if (map.size === 0) throw new Error('maps no group to a role');
  return map;
}

/** The values of a claim: a string, an array of strings, or a dotted path into objects (`realm_access.roles`). */
export function claimValues(claims: Record<string, unknown>, claim: string): string[] {
  let value: unknown = claim in claims ? claims[claim] : undefined;
  if (value === undefined && claim.includes('.')) {
    value = claim.split('.').reduce<unknown>((at, key) => (at && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined), claims);
  }
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

export type RoleDecision = { role: Role; groups: string[] } | { role?: undefined; reason: string };

/**
 * The one role the person's claim values map to. Several groups that map to the same role are
 * fine; groups that map to different roles are refused rather than ranked: the roles are not a
 * ladder (an auditor is not a lesser manager), and whoever administers the IdP should decide,
 * by membership or by the role map, which one the person has.
 */
export function roleFromClaims(claims: Record<string, unknown>, claim: string, map: RoleMap): RoleDecision {
  const values = claimValues(claims, claim);
  const matched = values.filter((v) => map.has(v));
  const roles = [...new Set(matched.map((v) => map.get(v)!))];
  if (roles.length === 1) return { role: roles[0]!, groups: matched };
  if (roles.length === 0) {
    return { reason: values.length === 0 ? `the identity provider sent no ${claim} claim` : `none of the ${claim} values gives a Firebreak role` };
  }
  return { reason: `the ${claim} values ${matched.join(', ')} give more than one role (${roles.join(', ')}); a person holds one` };
}

/**
 * Authentication methods (RFC 8176) that are a factor beyond a password: `mfa` itself, one-time
 * codes, hardware or software keys, biometrics, smart cards, confirmation by phone or SMS.
 */
const SECOND_FACTOR_AMR = new Set(['mfa', 'mca', 'otp', 'hwk', 'swk', 'sc', 'sms', 'tel', 'fpt', 'face', 'iris', 'retina', 'vbm']);

/** `acr` values that state multi-factor authentication (OpenID PAPE, OpenID EAP, Okta). */
const MFA_ACR = new Set([
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor',
  'http://schemas.openid.net/pape/policies/2007/06/multi-factor-physical',
  'phr',
  'phrh',
  'urn:okta:loa:2fa:any',
]);

/** True only when the IdP stated a second factor; an IdP that says nothing gets false. */
export function mfaFromClaims(claims: Record<string, unknown>): boolean {
  const amr = claimValues(claims, 'amr');
  if (amr.some((m) => SECOND_FACTOR_AMR.has(m.toLowerCase()))) return true;
  const acr = claims.acr;
  return typeof acr === 'string' && MFA_ACR.has(acr);
}

/** The person as the ID token (and userinfo) describe them. */
export function personFromClaims(claims: Record<string, unknown>, issuer: string): Person {
  const subject = typeof claims.sub === 'string' && claims.sub ? claims.sub : undefined;
  if (!subject) throw new Error('the ID token has no sub');
  const text = (name: string) => (typeof claims[name] === 'string' && (claims[name] as string).trim() ? (claims[name] as string).trim() : undefined);
  const authTime = typeof claims.auth_time === 'number' && Number.isFinite(claims.auth_time) ? new Date(claims.auth_time * 1000).toISOString() : undefined;
  const amr = Array.isArray(claims.amr) ? claimValues(claims, 'amr') : undefined;
  return {
    subject,
    issuer,
    name: text('name') ?? text('preferred_username') ?? subject,
    ...(authTime ? { authTime } : {}),
    mfa: mfaFromClaims(claims),
    ...(amr ? { amr } : {}),
  };
}
