import type { IncidentActivities } from '../activities/types';
import type { Asset } from '../domain/asset';
import type { ContainmentOutcome } from '../domain/incident';
import { CONTAINMENT_BY_ASSET, type PlannedAction } from '../domain/response-plan';

/**
 * The loops of the response stages, shared by the built-in plan and the playbook interpreter:
 * each calls one adapter activity per asset, in order. Which activities (their retry policy) and
 * how the result is recorded is the caller's.
 */
export type StageActivities = Pick<IncidentActivities, 'contain' | 'collectEvidence' | 'recover'>;

/** Runs the planned actions in order; a destructive one without approval is recorded as not approved instead. */
export async function containAll(incidentId: string, plan: readonly PlannedAction[], destructiveApproved: boolean, activities: StageActivities): Promise<ContainmentOutcome[]> {
  const outcomes: ContainmentOutcome[] = [];
  for (const planned of plan) {
    if (planned.destructive && !destructiveApproved) {
      outcomes.push({ asset: planned.asset, action: planned.action, status: 'not_approved' });
      continue;
    }
    await activities.contain({ incidentId, asset: planned.asset, action: planned.action });
    outcomes.push({ asset: planned.asset, action: planned.action, status: 'done' });
  }
  return outcomes;
}

/** Collects every asset's evidence; the number of artifacts collected. */
export async function collectAll(incidentId: string, assets: readonly Asset[], activities: StageActivities): Promise<number> {
  let artifacts = 0;
  for (const asset of assets) {
    const collected = await activities.collectEvidence({ incidentId, asset, collector: 'firebreak-forensics' });
    artifacts += collected.artifacts;
  }
  return artifacts;
}

/** Undoes every containment action that was done; how many. */
export async function undoAll(incidentId: string, containment: readonly ContainmentOutcome[], activities: StageActivities): Promise<number> {
  let recovered = 0;
  for (const outcome of containment) {
    if (outcome.status !== 'done') continue;
    await activities.recover({ incidentId, asset: outcome.asset, action: CONTAINMENT_BY_ASSET[outcome.asset.kind].undo });
    recovered += 1;
  }
  return recovered;
}
