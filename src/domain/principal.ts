/** The roles an API key can hold; a key has exactly one. */
export const ROLES = ['integration', 'responder', 'manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/**
 * A person signed in through OpenID Connect, as their identity provider vouched for them. Kept
 * with every decision they make (in the workflow's history and the audit log).
 */
export interface Person {
  /** The IdP's `sub`: stable for the person, unlike their name. */
  subject: string;
  /** The IdP's issuer URL. */
  issuer: string;
  /** The display name the IdP gave (`name`, else `preferred_username`, else the subject). */
  name: string;
  /** When the person last authenticated at the IdP (`auth_time`), ISO 8601; absent when the IdP did not say. */
  authTime?: string;
  /** True only when the IdP stated a second factor (`amr` holding mfa, otp, hwk, …, or an MFA `acr`). */
  mfa: boolean;
  /** The IdP's `amr` values as sent, when it sent them. */
  amr?: string[];
}

/** Who acted: taken from the authenticated API key or console session, never from a request body. */
export interface Principal {
  /** The API key's id (not the secret); `oidc:<subject>` for a person signed in to the console. */
  keyId: string;
  /** The human or system the key was issued to, or the person's name. */
  name: string;
  role: Role;
  /** Present when the principal is a person signed in through OpenID Connect. */
  person?: Person;
}
