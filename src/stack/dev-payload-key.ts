import path from 'node:path';
import { keptKeyFile } from './kept-key-file';
import { AesGcmPayloadCodec, newPayloadKeyEntry, parsePayloadKeys, payloadCodecFromEnvironment } from '../temporal/payload-codec';

/**
 * The dev stack's payload keys: FIREBREAK_PAYLOAD_KEYS when set, otherwise one key made on first
 * start and kept in the data folder (private), so the histories of earlier runs stay readable.
 */
export function devPayloadCodec(dataDir: string, env: NodeJS.ProcessEnv = process.env): { codec: AesGcmPayloadCodec; file?: string } {
  const configured = payloadCodecFromEnvironment(env);
  if (configured) return { codec: configured };
  const file = path.join(dataDir, 'payload-keys');
  return { codec: new AesGcmPayloadCodec(parsePayloadKeys(keptKeyFile(file, () => newPayloadKeyEntry('dev-1')), file)), file };
}
