import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import { verifyEd25519 } from '../../src/domain/ed25519-verify';

/** RFC 8032, section 7.1, tests 1 and 2: public key, message, signature. */
const RFC8032 = [
  {
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

/** The group's order L: S + L verifies the same equation, and a strict verifier refuses it. */
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function withBitFlipped(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes);
  copy[bit >> 3]! ^= 1 << (bit & 7);
  return copy;
}

function withS(signature: Uint8Array, s: bigint): Uint8Array {
  const copy = Uint8Array.from(signature);
  for (let i = 0; i < 32; i++) copy[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
  return copy;
}

const sOf = (signature: Uint8Array) => signature.subarray(32).reduceRight((n, byte) => (n << 8n) | BigInt(byte), 0n);

describe('verifyEd25519: a trusted key with its table built once', () => {
  it('accepts the RFC 8032 test vectors and refuses them altered', () => {
    for (const v of RFC8032) {
      const signature = hexToBytes(v.signature);
      const message = hexToBytes(v.message);
      expect(verifyEd25519(signature, message, v.publicKey)).toBe(true);
      expect(verifyEd25519(withBitFlipped(signature, 5), message, v.publicKey)).toBe(false);
      expect(verifyEd25519(signature, Uint8Array.of(...message, 0), v.publicKey)).toBe(false);
    }
    expect(verifyEd25519(hexToBytes(RFC8032[0]!.signature), new Uint8Array(), RFC8032[1]!.publicKey)).toBe(false);
  });

  it('answers as @noble/curves’ ed25519.verify does, for genuine and forged signatures alike', () => {
    const keys = [0, 1].map(() => {
      const secret = randomBytes(32);
      return { secret, publicKey: bytesToHex(ed25519.getPublicKey(secret)) };
    });
    let genuine = 0;
    let forged = 0;
    for (let i = 0; i < 40; i++) {
      const key = keys[i % 2]!;
      const message = randomBytes(1 + (i % 7) * 50);
      const signature = ed25519.sign(message, key.secret);
      const cases: Array<[Uint8Array, Uint8Array, string]> = [
        [signature, message, key.publicKey],
        [withBitFlipped(signature, i % 256), message, key.publicKey],
        [withBitFlipped(signature, 256 + (i % 256)), message, key.publicKey],
        [signature, withBitFlipped(message, i % (8 * message.length)), key.publicKey],
        [signature, message, keys[(i + 1) % 2]!.publicKey],
        [withS(signature, sOf(signature) + L), message, key.publicKey],
        [randomBytes(64), message, key.publicKey],
      ];
      for (const [sig, msg, pub] of cases) {
        const expected = ed25519.verify(sig, msg, pub);
        expect([i, verifyEd25519(sig, msg, pub)]).toEqual([i, expected]);
        if (expected) genuine += 1;
        else forged += 1;
      }
    }
    // Only the untouched signatures hold: every case of every kind was exercised.
    expect(genuine).toBe(40);
    expect(forged).toBe(40 * 6);
  });

  it('refuses a signature of the wrong length, and a public key that is no point', () => {
    const { publicKey, signature, message } = RFC8032[1]!;
    expect(verifyEd25519(hexToBytes(signature).subarray(0, 63), hexToBytes(message), publicKey)).toBe(false);
    expect(verifyEd25519(hexToBytes(signature), hexToBytes(message), 'ff'.repeat(32))).toBe(false);
    expect(verifyEd25519(hexToBytes(signature), hexToBytes(message), 'abcd')).toBe(false);
  });
});
