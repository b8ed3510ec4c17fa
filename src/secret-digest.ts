import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 of a secret (an API key's, a session's, a token's): what is stored or compared instead of it. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Whether `sent` is the secret whose digest is `expected`, in time that does not depend on where
 * they differ (digests have one length, so neither does the comparison reveal the secret's).
 */
export function matchesSecret(sent: string, expected: Buffer): boolean {
  return timingSafeEqual(secretDigest(sent), expected);
}
