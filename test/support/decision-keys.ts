import { DecisionSigner, parseKeyring, SIGNING_KEY_ENV, VERIFY_KEYS_ENV } from '../../src/decision-keys';

/**
 * Decision-signing keys for tests only (never used anywhere else): test-1 signs, test-2 is the
 * "next" key of the rotation tests. Every test process gets test-1 in its environment
 * (test/support/decision-key-env.ts), so in-process APIs sign with it and workers trust it.
 */
export const TEST_SIGNING_KEYS = {
  'test-1': 'test-1:CYuc5yNS3r7xYLSBFnc6ZsEGiEKhfkihBUgY9sa4b9I=',
  'test-2': 'test-2:vndNhtQODxxDQZpODiIhUycWi4CrP/vfl1SXUggZw/Q=',
} as const;
export const TEST_VERIFY_KEYS = {
  'test-1': 'test-1:9sfDIz3qTc7PIUvlXUmcRnZSTBmp/mcDxtPQ+RlZ+pE=',
  'test-2': 'test-2:Kd/PwCMLh0pjVGOcsfQe+9s5BH43JbP7VOv5lDa6Ucw=',
} as const;

/** The environment a test API and worker run with (spawned processes get it explicitly). */
export const TEST_DECISION_ENV: Record<string, string> = {
  [SIGNING_KEY_ENV]: TEST_SIGNING_KEYS['test-1'],
  [VERIFY_KEYS_ENV]: TEST_VERIFY_KEYS['test-1'],
};

export const testSigner = (keyId: keyof typeof TEST_SIGNING_KEYS = 'test-1') => DecisionSigner.fromEntry(TEST_SIGNING_KEYS[keyId]);
export const testKeyring = (...keyIds: Array<keyof typeof TEST_VERIFY_KEYS>) => parseKeyring(keyIds.map((id) => TEST_VERIFY_KEYS[id]).join(','));
