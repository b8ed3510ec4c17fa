import { AesGcmPayloadCodec, parsePayloadKeys } from '../../src/temporal/payload-codec';

/** The one payload key test stacks encrypt with (FIREBREAK_PAYLOAD_KEYS format); a test value, never a real one. */
export const TEST_PAYLOAD_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;

export const TEST_PAYLOAD_CODEC = new AesGcmPayloadCodec(parsePayloadKeys(TEST_PAYLOAD_KEYS));
