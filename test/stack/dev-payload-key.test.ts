import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import { devPayloadCodec } from '../../src/stack/dev-payload-key';
import { newPayloadKeyEntry } from '../../src/temporal/payload-codec';

describe('the dev stack’s payload key', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dev-payload-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is made on first start in the data folder, private, and the same key on every start after', async () => {
    const first = devPayloadCodec(dir, {});
    const file = path.join(dir, 'payload-keys');
    expect(first.file).toBe(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toMatch(/^dev-1:[A-Za-z0-9+/]{43}=\n$/);
    const [encrypted] = await first.codec.encode([defaultPayloadConverter.toPayload({ title: 'kept across restarts' })]);
    const again = devPayloadCodec(dir, {});
    expect(defaultPayloadConverter.fromPayload((await again.codec.decode([encrypted!]))[0]!)).toEqual({ title: 'kept across restarts' });
  });

  it('uses FIREBREAK_PAYLOAD_KEYS when set, and writes no file', () => {
    const configured = devPayloadCodec(dir, { FIREBREAK_PAYLOAD_KEYS: newPayloadKeyEntry('ops-7') });
    expect(configured.codec.encryptingKeyId).toBe('ops-7');
    expect(configured.file).toBeUndefined();
    expect(() => statSync(path.join(dir, 'payload-keys'))).toThrow();
  });
});
