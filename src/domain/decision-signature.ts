/**
 * Decisions signed by the API and verified inside the workflow (Ed25519 over canonical JSON), so a
 * decision that reaches Temporal by any other way is refused. Pure: it runs in the workflow sandbox
 * (no node:crypto there, hence the audited @noble/curves) and in tests. The API signs with
 * node:crypto (src/decision-keys.ts): Ed25519 is deterministic, so the signature is the same.
 */
import { hexToBytes, utf8ToBytes } from '@noble/curves/utils';
import canonicalize from 'canonicalize';
import { verifyEd25519 } from './ed25519-verify';
import type { Principal } from './principal';

/** How old a decision may be when the workflow judges it: the API's deadline is 30 s, clocks drift. */
export const DECISION_MAX_AGE_MS = 5 * 60_000;
/** How far ahead of the workflow's clock a decision may claim to have been issued. */
export const DECISION_MAX_AHEAD_MS = 60_000;

export interface DecisionSignature {
  /** Which signing key (its id in the keyring the workers trust). */
  keyId: string;
  /** When the API issued the decision (ISO 8601). */
  issuedAt: string;
  /** The Ed25519 signature, hex. */
  value: string;
}

/** What a signature covers: the decision, who took it, and which update of which incident carries it. */
export interface SignedDecision {
  incidentId: string;
  /** The update's name, e.g. `close`. */
  update: string;
  /** The update's id (the Idempotency-Key, or one the API made up). */
  updateId: string;
  principal: Principal;
  decision: unknown;
  issuedAt: string;
}

/** Public keys by key id, hex: the workers' trust. Several during a rotation. */
export type DecisionKeyring = Readonly<Record<string, string>>;

/** The exact bytes signed: RFC 8785 canonical JSON of the signed fields. */
export function decisionSigningBytes(signed: SignedDecision): Uint8Array {
  const { incidentId, update, updateId, principal, decision, issuedAt } = signed;
  const canonical = canonicalize({ incidentId, update, updateId, principal: { keyId: principal.keyId, name: principal.name, role: principal.role }, decision, issuedAt });
  if (canonical === undefined) throw new Error('a decision must be JSON');
  return utf8ToBytes(canonical);
}

/**
 * Why a signed decision must be refused, or undefined when it holds: unsigned, signed with a key the
 * worker does not trust, a signature that does not verify over what the workflow itself knows (its
 * incident, the update's name and id), or issued too long before `nowMs` (or after it).
 */
export function decisionSignatureRejection(
  signature: DecisionSignature | undefined,
  known: Omit<SignedDecision, 'issuedAt'>,
  keyring: DecisionKeyring,
  nowMs: number,
): string | undefined {
  if (!signature || typeof signature !== 'object') return 'the decision is not signed: decisions are taken through the Firebreak API, which signs them';
  const { keyId, issuedAt, value } = signature;
  if (typeof keyId !== 'string' || typeof issuedAt !== 'string' || typeof value !== 'string') return 'the decision’s signature is malformed';
  const publicKey = Object.prototype.hasOwnProperty.call(keyring, keyId) ? keyring[keyId] : undefined;
  if (!publicKey) return `the decision is signed with key ${keyId}, which this worker does not trust`;
  let valid = false;
  try {
    valid = verifyEd25519(hexToBytes(value), decisionSigningBytes({ ...known, issuedAt }), publicKey);
  } catch {
    valid = false;
  }
  if (!valid) return 'the decision’s signature does not verify: it was altered, or signed for another incident, decision or request';
  const issuedMs = Date.parse(issuedAt);
  if (Number.isNaN(issuedMs)) return 'the decision’s issue time is not a time';
  if (nowMs - issuedMs > DECISION_MAX_AGE_MS) return `the decision is stale: issued at ${issuedAt}, more than ${DECISION_MAX_AGE_MS / 60_000} minutes before it arrived`;
  if (issuedMs - nowMs > DECISION_MAX_AHEAD_MS) return `the decision claims to be issued at ${issuedAt}, in the future`;
  return undefined;
}
