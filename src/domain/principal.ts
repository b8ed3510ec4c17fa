/** The roles an API key can hold; a key has exactly one. */
export const ROLES = ['integration', 'responder', 'manager', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who acted: taken from the authenticated API key, never from a request body. */
export interface Principal {
  /** The API key's id (not the secret). */
  keyId: string;
  /** The human or system the key was issued to. */
  name: string;
  role: Role;
}
