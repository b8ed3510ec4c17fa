import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY, type PolicyTable } from './domain/policy';
import { policyFrom } from './domain/policy-schema';

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
