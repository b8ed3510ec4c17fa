import { DecisionSigner, keyringFromEnvironment, newDecisionKeyPair, SIGNING_KEY_ENV, VERIFY_KEYS_ENV } from '../src/decision-keys';
import type { DecisionKeyring } from '../src/domain/decision-signature';

/**
 * Benchmarks sign decisions as the API does: with FIREBREAK_DECISION_SIGNING_KEY when set, otherwise
 * with a key pair made for this run and put into the environment, so worker processes inherit it.
 */
export function benchDecisionKeys(env: NodeJS.ProcessEnv = process.env): { signer: DecisionSigner; keyring: DecisionKeyring } {
  if (!env[SIGNING_KEY_ENV]) {
    const pair = newDecisionKeyPair('bench');
    env[SIGNING_KEY_ENV] = pair.signingKey;
    env[VERIFY_KEYS_ENV] = pair.verifyKey;
  }
  const signer = DecisionSigner.fromEnvironment(env);
  return { signer, keyring: keyringFromEnvironment(env) ?? signer.keyring() };
}
