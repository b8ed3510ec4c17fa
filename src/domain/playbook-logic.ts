import jsonLogic from 'json-logic-js';
import type { AssetKind } from './asset';
import type { Severity } from './severity';

/**
 * What a playbook condition (`when`, a wait's `until`) may read. The interpreter builds these
 * facts from the incident; a condition names them with JSONLogic `var`, e.g.
 * `{"in": [{"var": "severity"}, ["critical", "high"]]}` or `{"var": "outcomes.scope.confirmed"}`.
 */
export interface PlaybookFacts {
  severity: Severity;
  category: string;
  assetKinds: AssetKind[];
  /** Each settled step's outcome by step id: a task's outcome fields, an approval's `{approved}`. */
  outcomes: Record<string, Record<string, unknown>>;
  /** About the planned containment: whether any action on the incident's assets is destructive. */
  containment?: { destructive: boolean };
  /** The incident's severity policy, e.g. `preApprovedContainment`. */
  policy?: { preApprovedContainment: boolean };
  /** The incident's state as published, for waits on its progress. */
  incident?: Record<string, unknown>;
}

export const CONDITION_FACT_ROOTS = ['severity', 'category', 'assetKinds', 'outcomes', 'containment', 'policy', 'incident'] as const satisfies ReadonlyArray<keyof PlaybookFacts>;

/** JSONLogic's operators, less `log` (it writes to the console). */
export const LOGIC_OPERATORS: ReadonlySet<string> = new Set([
  'var', 'missing', 'missing_some',
  'if', '?:', '==', '===', '!=', '!==', '!', '!!', 'or', 'and',
  '>', '>=', '<', '<=', 'max', 'min', '+', '-', '*', '/', '%',
  'map', 'reduce', 'filter', 'all', 'none', 'some', 'merge', 'in', 'cat', 'substr',
]);

/**
 * Whether a condition holds for the facts, by JSONLogic's truthiness (an empty list is false).
 * Pure: no clock, no randomness, no I/O, so it may run inside the workflow.
 */
export function conditionHolds(rule: Record<string, unknown>, facts: object): boolean {
  return jsonLogic.truthy(jsonLogic.apply(rule as jsonLogic.RulesLogic, facts));
}
