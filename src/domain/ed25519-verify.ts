/**
 * Ed25519 verification against a trusted public key, with that key's table of multiples built
 * once. It checks [S]B = R + [k]A with `@noble/curves`' points, as `ed25519.verify` does (ZIP 215
 * rules, its default); that function parses A afresh on every call and multiplies it bit by bit:
 * about 1.4 ms of a workflow thread's CPU per decision. The workers trust one or two keys, so each is
 * parsed once and given a window-8 table, as the curve's base point has, and a check costs about
 * 0.3 ms. A test holds this to `ed25519.verify`'s answers, valid and forged
 * (test/domain/ed25519-verify).
 *
 * Pure and deterministic; in a workflow thread the tables are shared by its workflows (a module
 * level cache, pitfall 53), so a parked incident holds none of them.
 */
import { ed25519 } from '@noble/curves/ed25519';
import { sha512 } from '@noble/hashes/sha2';
import { bytesToNumberLE, concatBytes, hexToBytes } from '@noble/curves/utils';

const { Point } = ed25519;
type EdPoint = InstanceType<typeof Point>;

/** The same window as the curve's base point: 4,224 points, built in about 25 ms, once per key. */
const TABLE_WINDOW = 8;
/** More keys than any keyring holds during a rotation: past this the cache starts again. */
const KEYS_CACHED = 16;
const ZIP215 = true;

const trustedPoints = new Map<string, EdPoint>();

/** The trusted key as a point with its table, or undefined when the hex is not a point. */
function trustedPoint(publicKeyHex: string): EdPoint | undefined {
  const cached = trustedPoints.get(publicKeyHex);
  if (cached) return cached;
  let point: EdPoint;
  try {
    point = Point.fromBytes(hexToBytes(publicKeyHex), ZIP215);
  } catch {
    return undefined;
  }
  point.precompute(TABLE_WINDOW, false);
  if (trustedPoints.size >= KEYS_CACHED) trustedPoints.clear();
  trustedPoints.set(publicKeyHex, point);
  return point;
}

/** Whether `signature` (64 bytes) is the holder of `publicKeyHex`'s signature of `message`. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKeyHex: string): boolean {
  if (signature.length !== 64) return false;
  const A = trustedPoint(publicKeyHex);
  if (!A) return false;
  let R: EdPoint;
  let SB: EdPoint;
  try {
    R = Point.fromBytes(signature.subarray(0, 32), ZIP215);
    // Refuses S outside [0, L): a signature is not malleable by adding the group's order.
    SB = Point.BASE.multiplyUnsafe(bytesToNumberLE(signature.subarray(32, 64)));
  } catch {
    return false;
  }
  const k = Point.Fn.create(bytesToNumberLE(sha512(concatBytes(R.toBytes(), A.toBytes(), message))));
  // [8][S]B = [8]R + [8][k]A
  return R.add(A.multiplyUnsafe(k)).subtract(SB).clearCofactor().is0();
}
