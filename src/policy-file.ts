import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY, type PolicyTable } from './domain/policy';
import { policyFrom, regulatoryFrom, type RegulatoryConfig } from './domain/policy-schema';

function readPolicyFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`FIREBREAK_POLICY_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Regimes and holidays for regulatory clocks: the defaults, or FIREBREAK_POLICY_FILE's `regulatory` section. */
export function loadRegulatoryConfig(env: NodeJS.ProcessEnv = process.env): RegulatoryConfig {
  const file = env.FIREBREAK_POLICY_FILE;
  try {
    return regulatoryFrom(file ? readPolicyFile(file) : {});
  } catch (err) {
    throw new Error(`FIREBREAK_POLICY_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The policy new incidents start with: the default table, overridden by FIREBREAK_POLICY_FILE (JSON) if set. */
export function loadPolicy(env: NodeJS.ProcessEnv = process.env): PolicyTable {
  const file = env.FIREBREAK_POLICY_FILE;
  if (!file) return DEFAULT_POLICY;
  let content: unknown;
  try {
    content = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`FIREBREAK_POLICY_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    return policyFrom(content);
  } catch (err) {
    throw new Error(`FIREBREAK_POLICY_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}
