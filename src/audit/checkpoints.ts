import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import canonicalize from 'canonicalize';
import { merkleRoot, orderedLeaves, type HeadLeaf } from '../domain/merkle';
import { assertKeyId, parseKeyEntry, parseKeyList } from '../key-entries';

/**
 * A checkpoint of the audit log: a Merkle root over every incident's chain head, signed with
 * Ed25519 by the checkpoint signer. The signed message is the statement's RFC 8785 canonical JSON.
 */
export interface CheckpointStatement {
  kind: 'firebreak-audit-checkpoint';
  version: 1;
  seq: number;
  issuedAt: string;
  keyId: string;
  /** RFC 6962 Merkle tree hash over the heads ordered by incident id (hex). */
  root: string;
  /** How many heads (incidents) the root covers. */
  incidents: number;
  /** Audit entries stored at signing time, and the highest global sequence among them. */
  entries: number;
  globalSeq: number;
  /** The previous checkpoint's statement hash: the checkpoints form a chain of their own. */
  previous: string | null;
  /**
   * Incidents whose stored chain no longer extends the previous checkpoint's head (an entry at
   * that seq gone or carrying another hash): their previous head is kept, never the rewritten one.
   */
  diverged: HeadLeaf[];
}

export interface SignedCheckpoint {
  statement: CheckpointStatement;
  statementHash: string;
  /** Base64 Ed25519 signature over the statement's canonical JSON. */
  signature: string;
  heads: HeadLeaf[];
}

// DER prefixes of an Ed25519 PKCS#8 private key (32-byte seed) and an SPKI public key (32 bytes).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const CHECKPOINT_SIGNING_KEY_ENV = 'FIREBREAK_CHECKPOINT_SIGNING_KEY';
export const CHECKPOINT_VERIFY_KEYS_ENV = 'FIREBREAK_CHECKPOINT_VERIFY_KEYS';

export interface CheckpointSigningKey {
  keyId: string;
  privateKey: KeyObject;
}

/** `<keyId>:<base64 32-byte seed>`, as FIREBREAK_CHECKPOINT_SIGNING_KEY holds it. */
export function parseSigningKey(entry: string, what = CHECKPOINT_SIGNING_KEY_ENV): CheckpointSigningKey {
  const { keyId, bytes } = parseKeyEntry(entry, what);
  return { keyId, privateKey: createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, bytes]), format: 'der', type: 'pkcs8' }) };
}

/** Key id → public key, from `<keyId>:<base64 public key>[,…]` as FIREBREAK_CHECKPOINT_VERIFY_KEYS holds them. */
export type CheckpointKeyring = ReadonlyMap<string, KeyObject>;

export function parseVerifyKeys(text: string, what = CHECKPOINT_VERIFY_KEYS_ENV): CheckpointKeyring {
  return parseKeyList(text, what, (bytes) => createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' }));
}

/** A new key pair as the two variables hold them. */
export function newCheckpointKeyPair(keyId: string): { signingKey: string; verifyKey: string } {
  assertKeyId(keyId);
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return { signingKey: `${keyId}:${seed.toString('base64')}`, verifyKey: `${keyId}:${raw.toString('base64')}` };
}

const canonical = (statement: CheckpointStatement) => Buffer.from(canonicalize(statement) ?? '', 'utf8');

export function statementHash(statement: CheckpointStatement): string {
  return createHash('sha256').update(canonical(statement)).digest('hex');
}

export interface CheckpointBasis {
  seq: number;
  issuedAt: string;
  heads: readonly HeadLeaf[];
  entries: number;
  globalSeq: number;
  previous: string | null;
  diverged: readonly HeadLeaf[];
}

export function signCheckpoint(basis: CheckpointBasis, key: CheckpointSigningKey): SignedCheckpoint {
  const heads = orderedLeaves(basis.heads);
  const statement: CheckpointStatement = {
    kind: 'firebreak-audit-checkpoint',
    version: 1,
    seq: basis.seq,
    issuedAt: basis.issuedAt,
    keyId: key.keyId,
    root: merkleRoot(heads),
    incidents: heads.length,
    entries: basis.entries,
    globalSeq: basis.globalSeq,
    previous: basis.previous,
    diverged: orderedLeaves(basis.diverged),
  };
  return { statement, statementHash: statementHash(statement), signature: sign(null, canonical(statement), key.privateKey).toString('base64'), heads };
}

/** Why a checkpoint cannot be trusted, or undefined when its signature and root hold. */
export function checkpointFault(checkpoint: SignedCheckpoint, keys: CheckpointKeyring | undefined): string | undefined {
  const { statement } = checkpoint;
  if (!keys) return `no key to verify checkpoint ${statement.seq} with (${CHECKPOINT_VERIFY_KEYS_ENV} is not set)`;
  const key = keys.get(statement.keyId);
  if (!key) return `checkpoint ${statement.seq} is signed with key ${statement.keyId}, which is not trusted`;
  let signed = false;
  try {
    signed = verify(null, canonical(statement), key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    signed = false;
  }
  if (!signed) return `checkpoint ${statement.seq} does not carry a valid signature`;
  if (merkleRoot(checkpoint.heads) !== statement.root || checkpoint.heads.length !== statement.incidents) return `the heads stored with checkpoint ${statement.seq} do not match its signed root`;
  return undefined;
}

/** The file name a checkpoint is exported under: sorted by name is sorted by seq. */
export function checkpointFileName(seq: number): string {
  return `checkpoint-${String(seq).padStart(8, '0')}.json`;
}

/** The keys the API trusts checkpoints under, from FIREBREAK_CHECKPOINT_VERIFY_KEYS; undefined when unset. */
export function checkpointKeysFromEnvironment(env: NodeJS.ProcessEnv = process.env): CheckpointKeyring | undefined {
  const text = env[CHECKPOINT_VERIFY_KEYS_ENV];
  return text ? parseVerifyKeys(text) : undefined;
}

/** The public key of a signing key, as FIREBREAK_CHECKPOINT_VERIFY_KEYS lists it. */
export function verifyKeyFor(key: CheckpointSigningKey): string {
  const raw = createPublicKey(key.privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
  return `${key.keyId}:${raw.toString('base64')}`;
}
