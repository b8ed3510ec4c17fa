import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { replayRuns } from '../../src/audit/replay';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, newPayloadKeyEntry, parsePayloadKeys, PayloadDecryptionError, payloadCodecFromEnvironment } from '../../src/temporal/payload-codec';
import { decodePayloadsIn, transformPayloadsIn } from '../../src/temporal/payload-json';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

const k1 = newPayloadKeyEntry('k1');
const k2 = newPayloadKeyEntry('k2');
const codecOf = (value: string) => new AesGcmPayloadCodec(parsePayloadKeys(value));
const text = (bytes: Uint8Array | undefined) => Buffer.from(bytes ?? []).toString('utf8');
const incident = { incidentId: 'a1b2', title: 'Credential dumping on web-01', assets: [{ kind: 'host', id: 'web-01' }] };

describe('AES-256-GCM payload codec', () => {
  it('encrypts a payload so nothing of it shows, and decrypts it back exactly', async () => {
    const codec = codecOf(k1);
    const plain = defaultPayloadConverter.toPayload(incident);
    const [encrypted] = await codec.encode([plain]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA]);
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toMatch(/web-01|Credential|json/);
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual(incident);
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  it('uses a fresh nonce for every payload: the same value never encrypts the same way twice', async () => {
    const codec = codecOf(k1);
    const plain = defaultPayloadConverter.toPayload(incident);
    const [a, b] = await codec.encode([plain, plain]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('keeps payloads without data and binary data intact', async () => {
    const codec = codecOf(k1);
    const empty: Payload = { metadata: { encoding: new Uint8Array(Buffer.from('binary/null')) } };
    const binary: Payload = { metadata: { encoding: new Uint8Array(Buffer.from('binary/plain')) }, data: new Uint8Array([0, 255, 1, 2]) };
    const decoded = await codec.decode(await codec.encode([empty, binary]));
    expect(decoded[0]).toEqual({ metadata: empty.metadata });
    expect(Buffer.from(decoded[1]!.data!)).toEqual(Buffer.from([0, 255, 1, 2]));
  });

  it('rotates: the new first key encrypts, the old one still decrypts what it encrypted', async () => {
    const [old] = await codecOf(k1).encode([defaultPayloadConverter.toPayload(incident)]);
    const rotated = codecOf(`${k2},${k1}`);
    expect(rotated.encryptingKeyId).toBe('k2');
    const [fresh] = await rotated.encode([defaultPayloadConverter.toPayload(incident)]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([incident, incident]);
    // Once k1 is dropped, what it encrypted can no longer be read, and the error says which key.
    await expect(codecOf(k2).decode([old!])).rejects.toThrow(new PayloadDecryptionError('payload encrypted with key "k1", which is not among the configured keys'));
  });

  it('refuses changed ciphertext, a changed key id and another key under the same id', async () => {
    const codec = codecOf(k1);
    const [encrypted] = await codec.encode([defaultPayloadConverter.toPayload(incident)]);
    const flipped = Buffer.from(encrypted!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data: new Uint8Array(flipped) }])).rejects.toThrow(/does not authenticate/);
    const truncated = Buffer.from(encrypted!.data!).subarray(0, 20);
    await expect(codec.decode([{ ...encrypted!, data: new Uint8Array(truncated) }])).rejects.toThrow(/too short|does not authenticate/);
    // The key id is authenticated data: relabelling a payload as another key's is caught too.
    const both = codecOf(`${k1},${k2.replace(/^k2/, 'k3')}`);
    await expect(both.decode([{ ...encrypted!, metadata: { ...encrypted!.metadata, [KEY_ID_METADATA]: new Uint8Array(Buffer.from('k3')) } }])).rejects.toThrow(/key "k3" does not authenticate/);
    const impostor = codecOf(newPayloadKeyEntry('k1'));
    await expect(impostor.decode([encrypted!])).rejects.toBeInstanceOf(PayloadDecryptionError);
  });

  it('passes payloads that were never encrypted through decoding unchanged', async () => {
    const plain = defaultPayloadConverter.toPayload(incident);
    const [decoded] = await codecOf(k1).decode([plain]);
    expect(decoded).toBe(plain);
  });
});

describe('FIREBREAK_PAYLOAD_KEYS', () => {
  it('is optional: unset, there is no codec', () => {
    expect(payloadCodecFromEnvironment({})).toBeUndefined();
    expect(payloadCodecFromEnvironment({ FIREBREAK_PAYLOAD_KEYS: ' ' })).toBeUndefined();
    expect(payloadCodecFromEnvironment({ FIREBREAK_PAYLOAD_KEYS: `${k2}, ${k1}` })?.encryptingKeyId).toBe('k2');
  });

  it.each([
    ['no id', 'k1', /key 1 needs an id/],
    ['an empty id', ':AAAA', /key 1 needs an id/],
    ['a 16-byte key', `k1:${Buffer.alloc(16).toString('base64')}`, /key "k1" must be 32 bytes in base64/],
    ['a key not in base64', 'k1:not base64!', /key "k1" must be 32 bytes/],
    ['an id twice', `${k1},${k1}`, /key id "k1" appears twice/],
    ['no key at all', ',', /no key/],
  ])('refuses %s, naming the variable and the key but never the key material', (_label, value, message) => {
    expect(() => parsePayloadKeys(value)).toThrow(message);
    try {
      parsePayloadKeys(value);
    } catch (err) {
      expect((err as Error).message).toMatch(/^FIREBREAK_PAYLOAD_KEYS: /);
      expect((err as Error).message).not.toContain(k1.slice(3));
    }
  });
});

describe('histories and the replay fixtures', () => {
  const dir = path.join(__dirname, '..', 'fixtures', 'histories');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8'));

  it('decodes every saved (unencrypted) history to itself', async () => {
    const codec = codecOf(k1);
    for (const file of fixtures) expect(await decodePayloadsIn(load(file), codec)).toEqual(load(file));
  });

  it('a history whose every payload was encrypted shows no incident detail, and replays once decoded', async () => {
    const codec = codecOf(k1);
    const file = fixtures.find((f) => f.endsWith('contain-first-closed.json') && f.startsWith('0.3.0'))!;
    const original = load(file);
    const encrypted = await transformPayloadsIn(original, async (p) => (await codec.encode([p]))[0]!);
    const raw = JSON.stringify(encrypted);
    expect(raw).not.toContain(Buffer.from('"incidentId"').toString('base64').slice(0, 12));
    expect(raw).not.toContain('anNvbi9wbGFpbg=='); // json/plain: no payload left in the clear
    expect(await decodePayloadsIn(encrypted, codec)).toEqual(original);
    const verdicts = await replayRuns('encrypted', [{ runId: file, history: await decodePayloadsIn(encrypted, codec) }], { workflowBundle: await incidentWorkflowBundle() });
    expect(verdicts).toEqual([{ runId: file, replayed: true }]);
  });
});
