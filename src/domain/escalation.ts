/**
 * The escalation engine's one rule: where the next page goes. Every cause of an escalation (a
 * missed deadline, a failed stage, a missed filing, a running stage past its SLA) climbs the
 * same chain through `nextEscalationStep`.
 *
 * A chain is a list of levels, each paging one or more roster targets. A miss moves one level up.
 * At the top, the chain is walked again from the bottom while loops remain (PagerDuty's
 * `num_loops`); once they are used up, every further miss pages the top level again — and the
 * incident commander, when one is assigned — so an incident never goes silent.
 */

/** The roster's targets: who can stand at a level of a chain. */
export const ESCALATION_TARGETS = ['on_call', 'ir_manager', 'ciso', 'external_assistance'] as const;
export type EscalationTarget = (typeof ESCALATION_TARGETS)[number];

export interface EscalationChain {
  /** Level 0 is paged when the incident opens; each level pages all of its targets. */
  levels: EscalationTarget[][];
  /** How many more times the whole chain is walked after its first pass reaches the top. */
  loops: number;
}

/** The chain every severity had before chains were configurable; incidents started then run on it. */
export const DEFAULT_ESCALATION_CHAIN: EscalationChain = {
  levels: [['on_call'], ['ir_manager'], ['ciso'], ['external_assistance']],
  loops: 0,
};

export const topLevel = (chain: EscalationChain): number => chain.levels.length - 1;

/** The targets at a level; a level past the top (the severity was lowered to a shorter chain) is the top. */
export function targetsAt(chain: EscalationChain, level: number): EscalationTarget[] {
  const targets = chain.levels[Math.min(Math.max(level, 0), topLevel(chain))];
  if (!targets?.length) throw new RangeError(`escalation chain has no level ${level}`);
  return targets;
}

export interface EscalationPosition {
  level: number;
  /** Completed passes over the chain, 0 on the first. */
  loop: number;
}

export interface EscalationStep extends EscalationPosition {
  targets: EscalationTarget[];
  /** The chain and its loops are exhausted: this page repeats the top (and goes to the commander too). */
  repeatAtTop: boolean;
}

/** Where the next escalation from `from` goes. */
export function nextEscalationStep(chain: EscalationChain, from: EscalationPosition): EscalationStep {
  const top = topLevel(chain);
  if (from.level < top) return { level: from.level + 1, loop: from.loop, targets: targetsAt(chain, from.level + 1), repeatAtTop: false };
  if (from.loop < chain.loops) return { level: 0, loop: from.loop + 1, targets: targetsAt(chain, 0), repeatAtTop: false };
  return { level: top, loop: from.loop, targets: targetsAt(chain, top), repeatAtTop: true };
}

/** Problems with a chain, for the policy file's validation; empty when it is usable. */
export function chainProblems(chain: EscalationChain): string[] {
  const problems: string[] = [];
  if (chain.levels.length < 2) problems.push('a chain needs at least two levels: the first page and someone to escalate to');
  chain.levels.forEach((targets, i) => {
    if (new Set(targets).size !== targets.length) problems.push(`level ${i} names a target twice`);
  });
  return problems;
}
