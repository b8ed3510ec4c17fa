import { Webhook } from 'standardwebhooks';

/**
 * Webhook secrets and signatures as Standard Webhooks defines them
 * (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`,
 * one per secret. During a rotation two secrets sign, and a receiver accepts the request when any
 * signature matches any secret it holds.
 */

export const WEBHOOK_ID_HEADER = 'webhook-id';
export const WEBHOOK_TIMESTAMP_HEADER = 'webhook-timestamp';
export const WEBHOOK_SIGNATURE_HEADER = 'webhook-signature';

/** One secret and the id it is known by (in logs, in the verifier's answer, in rotation notes). */
export interface WebhookSecret {
  keyId: string;
  /** The HMAC key: the base64-decoded bytes of a `whsec_…` secret, else the UTF-8 bytes of the text. */
  key: Uint8Array;
}

/** The key id given to a secret written without one (the form FIREBREAK_WEBHOOK_SECRET had before key ids). */
export const DEFAULT_KEY_ID = 'default';
export const MIN_SECRET_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const STANDARD_PREFIX = 'whsec_';

/**
 * Reads a secrets variable: `<keyId>:<secret>[,<keyId>:<secret>…]`, or one secret without a key id.
 * A secret is `whsec_<base64>` (what Standard Webhooks libraries take) or plain text; either way at
 * least 16 bytes. Errors name the variable and the entry, never the secret.
 */
export function parseWebhookSecrets(variable: string, text: string): WebhookSecret[] {
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length === 1 && entries[0] && !/^[A-Za-z0-9._-]{1,64}:/.test(entries[0])) {
    return [{ keyId: DEFAULT_KEY_ID, key: secretBytes(variable, DEFAULT_KEY_ID, entries[0]) }];
  }
  const secrets: WebhookSecret[] = [];
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    const keyId = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(keyId)) throw new Error(`${variable}: entry ${i + 1} must be <keyId>:<secret>, the key id of letters, digits, ".", "_" or "-" (at most 64)`);
    if (secrets.some((s) => s.keyId === keyId)) throw new Error(`${variable}: key id "${keyId}" appears twice`);
    secrets.push({ keyId, key: secretBytes(variable, keyId, entry.slice(colon + 1)) });
  });
  return secrets;
}

function secretBytes(variable: string, keyId: string, secret: string): Uint8Array {
  let key: Uint8Array;
  if (secret.startsWith(STANDARD_PREFIX)) {
    const encoded = secret.slice(STANDARD_PREFIX.length);
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new Error(`${variable}: secret "${keyId}" starts with whsec_ but the rest is not base64`);
    key = new Uint8Array(Buffer.from(encoded, 'base64'));
  } else {
    key = new Uint8Array(Buffer.from(secret, 'utf8'));
  }
  if (key.length < MIN_SECRET_BYTES) throw new Error(`${variable}: secret "${keyId}" must have ${MIN_SECRET_BYTES}+ bytes (24 to 64 random bytes are recommended)`);
  return key;
}

/** Why a secrets variable does not parse, or undefined when it does (for configuration checks). */
export function webhookSecretsProblem(variable: string, text: string): string | undefined {
  try {
    parseWebhookSecrets(variable, text);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Secrets as given to an adapter: the text of a secrets variable, or parsed already. */
export type WebhookSecrets = string | readonly WebhookSecret[];

export function webhookSecrets(secrets: WebhookSecrets, variable = 'the webhook secret'): WebhookSecret[] {
  return typeof secrets === 'string' ? parseWebhookSecrets(variable, secrets) : [...secrets];
}

/** Signs one request: the three Standard Webhooks headers, one signature per secret. */
export function webhookSignatureHeaders(secrets: readonly WebhookSecret[], id: string, body: string, at: Date = new Date()): Record<string, string> {
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to sign with');
  // The library's raw form takes bytes as they are; its string form would decode base64 again.
  const signatures = secrets.map((s) => new Webhook(s.key, { format: 'raw' }).sign(id, at, body));
  return {
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(Math.floor(at.getTime() / 1000)),
    [WEBHOOK_SIGNATURE_HEADER]: signatures.join(' '),
  };
}
