import type { DecisionKeyring } from '../domain/decision-signature';

/**
 * The decision-signing keys this worker trusts, written into the workflow bundle when the worker
 * bundles it (src/worker/workflow-bundle.ts): workflow code can read no environment. A worker
 * restarted with another keyring judges new decisions by it; validators do not run at replay, so
 * histories signed with retired keys still replay.
 */
declare const FIREBREAK_TRUSTED_DECISION_KEYS: DecisionKeyring | undefined;

export function trustedDecisionKeys(): DecisionKeyring {
  return typeof FIREBREAK_TRUSTED_DECISION_KEYS === 'undefined' ? {} : FIREBREAK_TRUSTED_DECISION_KEYS;
}
