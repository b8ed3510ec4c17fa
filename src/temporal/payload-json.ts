import type { Payload, PayloadCodec } from '@temporalio/common';

/**
 * A payload as JSON puts it (history exports, `temporal workflow show --output json`, the codec
 * server protocol): metadata values and data in base64.
 */
export interface PayloadJson {
  metadata?: Record<string, string>;
  data?: string;
}

export function payloadFromJson(json: PayloadJson): Payload {
  const metadata = Object.fromEntries(Object.entries(json.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return json.data === undefined ? { metadata } : { metadata, data: new Uint8Array(Buffer.from(json.data, 'base64')) };
}

export function payloadToJson(payload: Payload): PayloadJson {
  const metadata = Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return payload.data === undefined || payload.data === null ? { metadata } : { metadata, data: Buffer.from(payload.data).toString('base64') };
}

function isPayloadJson(value: unknown): value is PayloadJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const metadata = (value as { metadata?: unknown }).metadata;
  return typeof metadata === 'object' && metadata !== null && typeof (metadata as Record<string, unknown>).encoding === 'string';
}

/**
 * Runs a codec over every payload in a JSON document (a history, an export), wherever it sits:
 * inputs, results, markers, memos, update arguments, failure details. Returns a new document;
 * payloads the codec leaves alone come back as they were.
 */
export async function transformPayloadsIn<T>(document: T, step: (payload: Payload) => Promise<Payload>): Promise<T> {
  const walk = async (value: unknown): Promise<unknown> => {
    if (Array.isArray(value)) return Promise.all(value.map(walk));
    if (typeof value !== 'object' || value === null) return value;
    if (isPayloadJson(value)) {
      const before = payloadFromJson(value);
      const after = await step(before);
      return after === before ? value : payloadToJson(after);
    }
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await walk(v)] as const));
    return Object.fromEntries(entries);
  };
  return (await walk(document)) as T;
}

/** Every payload in the document decoded: what an auditor reads. */
export function decodePayloadsIn<T>(document: T, codec: PayloadCodec): Promise<T> {
  return transformPayloadsIn(document, async (payload) => (await codec.decode([payload]))[0]!);
}

/** Whether any payload in the document is encrypted (by `encoding`), i.e. unreadable without the keys. */
export function hasEncryptedPayloads(document: unknown, encryptedEncoding: string): boolean {
  if (Array.isArray(document)) return document.some((v) => hasEncryptedPayloads(v, encryptedEncoding));
  if (typeof document !== 'object' || document === null) return false;
  if (isPayloadJson(document)) return Buffer.from(document.metadata!.encoding!, 'base64').toString('utf8') === encryptedEncoding;
  return Object.values(document).some((v) => hasEncryptedPayloads(v, encryptedEncoding));
}
