import type { AssetKind } from './asset';
import type { Playbook } from './playbook';
import type { Severity } from './severity';

export interface MatchFacts {
  category: string;
  severity: Severity;
  assetKinds: AssetKind[];
}

/**
 * How many criteria of the playbook's `match` the incident meets, or undefined when it misses one
 * (or the playbook has no `match` and is only run when named). An asset-kind criterion is met
 * when any of the incident's assets is of a listed kind.
 */
export function matchedCriteria(playbook: Playbook, facts: MatchFacts): number | undefined {
  const match = playbook.match;
  if (!match) return undefined;
  let matched = 0;
  if (match.categories) {
    if (!match.categories.includes(facts.category)) return undefined;
    matched++;
  }
  if (match.severities) {
    if (!match.severities.includes(facts.severity)) return undefined;
    matched++;
  }
  if (match.assetKinds) {
    if (!facts.assetKinds.some((kind) => match.assetKinds!.includes(kind))) return undefined;
    matched++;
  }
  return matched;
}

/**
 * The most specific playbook for the incident: the one meeting the most criteria; on a tie the
 * higher version of the same name, then the name first in alphabetical order.
 */
export function choosePlaybook(candidates: readonly Playbook[], facts: MatchFacts): Playbook | undefined {
  let best: { playbook: Playbook; score: number } | undefined;
  for (const playbook of candidates) {
    const score = matchedCriteria(playbook, facts);
    if (score === undefined) continue;
    if (!best || better({ playbook, score }, best)) best = { playbook, score };
  }
  return best?.playbook;
}

function better(a: { playbook: Playbook; score: number }, b: { playbook: Playbook; score: number }): boolean {
  if (a.score !== b.score) return a.score > b.score;
  if (a.playbook.name === b.playbook.name) return a.playbook.version > b.playbook.version;
  return a.playbook.name < b.playbook.name;
}
