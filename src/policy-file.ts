import { readFileSync } from 'node:fs';
import { DEFAULT_POLICY, type PolicyTable } from './domain/policy';
import { policyFrom, regulatoryFrom, type RegulatoryConfig } from './domain/policy-schema';

/** Reads and interprets FIREBREAK_POLICY_FILE; any failure names the file once. */
function fromPolicyFile<T>(env: NodeJS.ProcessEnv, interpret: (content: unknown) => T, withoutFile: () => T): T {
  const file = env.FIREBREAK_POLICY_FILE;
  if (!file) return withoutFile();
  try {
    return interpret(JSON.parse(readFileSync(file, 'utf8')));
  } catch (err) {
    throw new Error(`FIREBREAK_POLICY_FILE ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Regimes and holidays for regulatory clocks: the defaults, or FIREBREAK_POLICY_FILE's `regulatory` section. */
export function loadRegulatoryConfig(env: NodeJS.ProcessEnv = process.env): RegulatoryConfig {
  return fromPolicyFile(env, regulatoryFrom, () => regulatoryFrom({}));
}

/** The policy new incidents start with: the default table, overridden by FIREBREAK_POLICY_FILE (JSON) if set. */
export function loadPolicy(env: NodeJS.ProcessEnv = process.env): PolicyTable {
  return fromPolicyFile(env, (content) => policyFrom(content), () => DEFAULT_POLICY);
}
