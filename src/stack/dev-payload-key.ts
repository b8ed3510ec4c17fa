import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AesGcmPayloadCodec, newPayloadKeyEntry, parsePayloadKeys, payloadCodecFromEnvironment } from '../temporal/payload-codec';

/**
 * The dev stack's payload keys: FIREBREAK_PAYLOAD_KEYS when set, otherwise one key made on first
 * start and kept in the data folder (private), so the histories of earlier runs stay readable.
 */
export function devPayloadCodec(dataDir: string, env: NodeJS.ProcessEnv = process.env): { codec: AesGcmPayloadCodec; file?: string } {
  const configured = payloadCodecFromEnvironment(env);
  if (configured) return { codec: configured };
  const file = path.join(dataDir, 'payload-keys');
  if (!existsSync(file)) {
    writeFileSync(file, newPayloadKeyEntry('dev-1') + '\n', { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return { codec: new AesGcmPayloadCodec(parsePayloadKeys(readFileSync(file, 'utf8').trim(), file)), file };
}
