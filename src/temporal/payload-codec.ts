import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';

/** The encoding an encrypted payload announces; anything else passes through decoding untouched. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Which key encrypted the payload; every configured key decrypts, so keys can be rotated. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface PayloadKey {
  id: string;
  key: Buffer;
}

/** Thrown when an encrypted payload cannot be decrypted: unknown key, or changed ciphertext. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
}

const utf8 = (bytes: Uint8Array | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** What is encrypted: the whole payload, metadata included (the encoding says json/plain, protobuf, …). */
function serialize(payload: Payload): Buffer {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return Buffer.from(JSON.stringify({ metadata, data: payload.data ? Buffer.from(payload.data).toString('base64') : undefined }), 'utf8');
}

function deserialize(plaintext: Buffer): Payload {
  const parsed = JSON.parse(plaintext.toString('utf8')) as { metadata: Record<string, string>; data?: string };
  const metadata = Object.fromEntries(Object.entries(parsed.metadata).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return parsed.data === undefined ? { metadata } : { metadata, data: new Uint8Array(Buffer.from(parsed.data, 'base64')) };
}

/**
 * AES-256-GCM over each payload, as Temporal's codec samples do: the first key encrypts, every key
 * decrypts (by the key id in the payload's metadata), and a payload that was never encrypted
 * (histories from before encryption, the replay fixtures) decodes as it is.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly PayloadKey[]) {
    if (keys.length === 0) throw new Error('a payload codec needs at least one key');
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key new payloads are encrypted with. */
  get encryptingKeyId(): string {
    return this.keys[0]!.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.keys[0]!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      // The key id is authenticated too: a payload cannot be passed off as another key's.
      cipher.setAAD(Buffer.from(id, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
      return {
        metadata: { encoding: new Uint8Array(Buffer.from(ENCRYPTED_ENCODING)), [KEY_ID_METADATA]: new Uint8Array(Buffer.from(id)) },
        data: new Uint8Array(Buffer.concat([iv, ciphertext, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      if (utf8(payload.metadata?.encoding) !== ENCRYPTED_ENCODING) return payload;
      const id = utf8(payload.metadata?.[KEY_ID_METADATA]) ?? '';
      const key = this.byId.get(id);
      if (!key) throw new PayloadDecryptionError(`payload encrypted with key "${id}", which is not among the configured keys`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(`payload encrypted with key "${id}" is too short`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(id, 'utf8'));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        return deserialize(Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]));
      } catch {
        throw new PayloadDecryptionError(`payload encrypted with key "${id}" does not authenticate: changed, or another key of that id`);
      }
    });
  }
}

/**
 * Parses `<keyId>:<base64 of 32 bytes>[,…]`, first the key that encrypts. Errors name the variable
 * and the key id, never the key.
 */
export function parsePayloadKeys(value: string, variable = 'FIREBREAK_PAYLOAD_KEYS'): PayloadKey[] {
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) throw new Error(`${variable}: no key (expected <keyId>:<base64 of 32 bytes>[,…])`);
  const keys: PayloadKey[] = [];
  for (const [index, entry] of entries.entries()) {
    const colon = entry.indexOf(':');
    const id = colon > 0 ? entry.slice(0, colon) : '';
    if (!KEY_ID.test(id)) throw new Error(`${variable}: key ${index + 1} needs an id of letters, digits, ".", "_" or "-" before ":" (<keyId>:<base64 of 32 bytes>)`);
    const encoded = entry.slice(colon + 1);
    const key = Buffer.from(encoded, 'base64');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length !== KEY_BYTES) throw new Error(`${variable}: key "${id}" must be ${KEY_BYTES} bytes in base64 (openssl rand -base64 32), not ${key.length}`);
    if (keys.some((k) => k.id === id)) throw new Error(`${variable}: key id "${id}" appears twice`);
    keys.push({ id, key });
  }
  return keys;
}

/** The codec FIREBREAK_PAYLOAD_KEYS configures, or none when it is unset (payloads then go in plain JSON). */
export function payloadCodecFromEnvironment(env: NodeJS.ProcessEnv = process.env): AesGcmPayloadCodec | undefined {
  const value = env.FIREBREAK_PAYLOAD_KEYS;
  if (value === undefined || value.trim() === '') return undefined;
  return new AesGcmPayloadCodec(parsePayloadKeys(value));
}

/** A fresh key entry for FIREBREAK_PAYLOAD_KEYS. */
export function newPayloadKeyEntry(id: string): string {
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** The SDK's data converter option for a codec (none: the default converter). */
export function dataConverterFor(codec: PayloadCodec | undefined): { payloadCodecs: PayloadCodec[] } | undefined {
  return codec ? { payloadCodecs: [codec] } : undefined;
}
