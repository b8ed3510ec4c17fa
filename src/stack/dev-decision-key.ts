import path from 'node:path';
import { DecisionSigner, keyringFromEnvironment, newDecisionKeyPair, SIGNING_KEY_ENV } from '../decision-keys';
import type { DecisionKeyring } from '../domain/decision-signature';
import { keptKeyFile } from './kept-key-file';

/**
 * The dev stack's decision-signing key: FIREBREAK_DECISION_SIGNING_KEY when set, otherwise one made
 * on first start and kept in the data folder (private), so incidents survive a restart. The worker
 * trusts FIREBREAK_DECISION_VERIFY_KEYS when set, otherwise that key alone.
 */
export function devDecisionKeys(dataDir: string, env: NodeJS.ProcessEnv = process.env): { signer: DecisionSigner; keyring: DecisionKeyring; file?: string } {
  let entry = env[SIGNING_KEY_ENV];
  let file: string | undefined;
  if (!entry) {
    file = path.join(dataDir, 'decision-signing-key');
    entry = keptKeyFile(file, () => newDecisionKeyPair('dev-1').signingKey);
  }
  const signer = DecisionSigner.fromEntry(entry, file ?? SIGNING_KEY_ENV);
  return { signer, keyring: keyringFromEnvironment(env) ?? signer.keyring(), ...(file ? { file } : {}) };
}
