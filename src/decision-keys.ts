import { createPrivateKey, createPublicKey, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Decided } from './domain/decisions';
import { assertKeyId, parseKeyEntry, parseKeyList } from './key-entries';
import { decisionSigningBytes, type DecisionKeyring, type DecisionSignature } from './domain/decision-signature';

/** The API's signing key (the variable holds `<keyId>:<base64 of the 32-byte private key>`). */
export const SIGNING_KEY_ENV = 'FIREBREAK_DECISION_SIGNING_KEY';
/** The public keys workers trust (`<keyId>:<base64 public key>[,…]`): the signing key's, and during a rotation the next one's too. */
export const VERIFY_KEYS_ENV = 'FIREBREAK_DECISION_VERIFY_KEYS';

/** `<keyId>:<base64 public key>[,…]`: the keys a worker trusts. */
export function parseKeyring(text: string, what = VERIFY_KEYS_ENV): DecisionKeyring {
  return Object.fromEntries(parseKeyList(text, what, (bytes) => bytes.toString('hex')));
}

/** PKCS #8's wrapping of a 32-byte Ed25519 private key (RFC 8410): what node:crypto reads. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** An Ed25519 private key (32 bytes, hex) as node:crypto holds it. */
function ed25519PrivateKey(privateKeyHex: string): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, Buffer.from(privateKeyHex, 'hex')]), format: 'der', type: 'pkcs8' });
}

/** The public key (32 bytes, hex) of an Ed25519 private key. */
function publicKeyFor(privateKey: KeyObject): string {
  const { x } = createPublicKey(privateKey).export({ format: 'jwk' });
  return Buffer.from(x!, 'base64url').toString('hex');
}

/**
 * Signs the API's decisions with one key; `now` is when each is issued. node:crypto signs (about
 * 0.04 ms, against 0.3 ms for @noble/curves, which the workflow needs to verify in its sandbox).
 */
export class DecisionSigner {
  readonly publicKey: string;
  private readonly privateKey: KeyObject;
  constructor(
    readonly keyId: string,
    private readonly privateKeyHex: string,
    private readonly now: () => Promise<number> | number = () => Date.now(),
  ) {
    this.privateKey = ed25519PrivateKey(privateKeyHex);
    this.publicKey = publicKeyFor(this.privateKey);
  }

  static fromEntry(entry: string, what = SIGNING_KEY_ENV): DecisionSigner {
    const { keyId, bytes } = parseKeyEntry(entry, what);
    return new DecisionSigner(keyId, bytes.toString('hex'));
  }

  /** Reads FIREBREAK_DECISION_SIGNING_KEY; without it no decision can be taken, so this says how to make one. */
  static fromEnvironment(env: NodeJS.ProcessEnv = process.env): DecisionSigner {
    const entry = env[SIGNING_KEY_ENV];
    if (!entry) throw new Error(`${SIGNING_KEY_ENV} is required: the API signs every decision (npm run decision-key makes a key pair)`);
    return DecisionSigner.fromEntry(entry);
  }

  withClock(now: () => Promise<number> | number): DecisionSigner {
    return new DecisionSigner(this.keyId, this.privateKeyHex, now);
  }

  /** The keyring that trusts this key alone. */
  keyring(): DecisionKeyring {
    return { [this.keyId]: this.publicKey };
  }

  async sign<T>(incidentId: string, update: string, updateId: string, decided: Decided<T>): Promise<DecisionSignature> {
    const issuedAt = new Date(await this.now()).toISOString();
    // What the workflow sees is the JSON of what was sent: sign that (undefined fields dropped).
    const decision: unknown = JSON.parse(JSON.stringify(decided.decision ?? {}));
    const bytes = decisionSigningBytes({ incidentId, update, updateId, principal: decided.principal, decision, issuedAt });
    return { keyId: this.keyId, issuedAt, value: sign(null, bytes, this.privateKey).toString('hex') };
  }
}

/** The keyring workers trust, from FIREBREAK_DECISION_VERIFY_KEYS; undefined when unset. */
export function keyringFromEnvironment(env: NodeJS.ProcessEnv = process.env): DecisionKeyring | undefined {
  const text = env[VERIFY_KEYS_ENV];
  return text ? parseKeyring(text) : undefined;
}

/** A new key pair as the two variables hold them. */
export function newDecisionKeyPair(keyId: string): { signingKey: string; verifyKey: string } {
  assertKeyId(keyId);
  const privateKey = randomBytes(32);
  const publicKey = Buffer.from(publicKeyFor(ed25519PrivateKey(privateKey.toString('hex'))), 'hex');
  return { signingKey: `${keyId}:${privateKey.toString('base64')}`, verifyKey: `${keyId}:${publicKey.toString('base64')}` };
}

/** The incident id in an incident's or follow-ups' workflow id. */
function incidentIdOfWorkflow(workflowId: string): string | undefined {
  return /^(?:incident|follow-ups)-(.+)$/.exec(workflowId)?.[1];
}

function isUnsignedDecided(arg: unknown): arg is Decided<unknown> {
  return typeof arg === 'object' && arg !== null && 'principal' in arg && 'decision' in arg && !('signature' in arg);
}

/**
 * A client interceptor that signs every decision sent as an update to an incident's or follow-ups'
 * workflow, making up the update id when the caller gives none. The API's client carries it.
 */
export function decisionSigningInterceptor(signer: DecisionSigner): WorkflowClientInterceptor {
  return {
    async startUpdate(input, next) {
      const [decided] = input.args;
      const incidentId = incidentIdOfWorkflow(input.workflowExecution.workflowId);
      if (!incidentId || !isUnsignedDecided(decided)) return next(input);
      const updateId = input.options.updateId ?? randomUUID();
      const signature = await signer.sign(incidentId, input.updateName, updateId, decided);
      return next({ ...input, args: [{ ...decided, signature }, ...input.args.slice(1)], options: { ...input.options, updateId } });
    },
  };
}
