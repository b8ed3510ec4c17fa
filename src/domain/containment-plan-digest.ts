import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import type { Asset } from './asset';
import { containmentPlan, type PlannedAction } from './response-plan';

/**
 * `sha256:<hex>` of a containment plan: each action's asset kind, asset id, action and whether it
 * is destructive, in the plan's order. A pure-JavaScript SHA-256, because the workflow's validator
 * computes it too and the workflow sandbox has no node:crypto. A manager's approval may carry the
 * digest of the plan they saw; when the plan has changed since (an alert brought another asset),
 * the approval is refused.
 */
export function containmentPlanDigest(plan: readonly PlannedAction[]): string {
  // Arrays of strings and booleans: JSON.stringify writes them one way only.
  const canonical = JSON.stringify(plan.map((a) => [a.asset.kind, a.asset.id, a.action, a.destructive]));
  return `sha256:${bytesToHex(sha256(utf8ToBytes(canonical)))}`;
}

/** The digest of the containment an incident with these assets would run now. */
export function pendingPlanDigest(assets: readonly Asset[]): string {
  return containmentPlanDigest(containmentPlan(assets));
}

/** Why an approval naming `planDigest` no longer fits the incident's assets, or undefined. */
export function planChangedRejection(assets: readonly Asset[], planDigest: string | undefined): string | undefined {
  if (planDigest === undefined) return undefined;
  const current = pendingPlanDigest(assets);
  if (planDigest === current) return undefined;
  return `the containment plan changed since ${planDigest}: it is now ${current} (${assets.length} asset${assets.length === 1 ? '' : 's'}); read the incident again and decide on the plan as it is`;
}
