/**
 * Keys as the environment holds them, one format for every key Firebreak reads (decision signing,
 * checkpoint signing): `<key id>:<base64 of 32 bytes>`, several separated by commas during a
 * rotation.
 */
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function assertKeyId(keyId: string): void {
  if (!KEY_ID.test(keyId)) throw new Error('a key id has 1 to 64 letters, digits, dots, underscores or dashes');
}

/** One `<keyId>:<base64 of 32 bytes>` entry; `what` (the variable) names it in the error. */
export function parseKeyEntry(entry: string, what: string): { keyId: string; bytes: Buffer } {
  const at = entry.indexOf(':');
  const keyId = entry.slice(0, Math.max(at, 0)).trim();
  const bytes = Buffer.from(entry.slice(at + 1).trim(), 'base64');
  if (at < 1 || !KEY_ID.test(keyId) || bytes.length !== 32) {
    throw new Error(`${what} must be <key id>:<base64 of 32 bytes> (key id: letters, digits, . _ -)`);
  }
  return { keyId, bytes };
}

/** `<keyId>:<base64>[,…]`, each key converted; a repeated or missing key id is refused by name. */
export function parseKeyList<K>(text: string, what: string, convert: (bytes: Buffer) => K): Map<string, K> {
  const keys = new Map<string, K>();
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const { keyId, bytes } = parseKeyEntry(entry, what);
    if (keys.has(keyId)) throw new Error(`${what} names key ${keyId} twice`);
    keys.set(keyId, convert(bytes));
  }
  if (keys.size === 0) throw new Error(`${what} names no key`);
  return keys;
}
