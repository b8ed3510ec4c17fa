import { proxyActivities } from '@temporalio/workflow';
import type { AuditActivities } from '../activities/types';
import type { ReplayActivities } from '../audit/replay-activity';
import { RETRY_POLICIES } from './retry-policies';

const { archiveHistory } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '5m',
  // Waits (by retrying) until the incident's last run has closed, then copies it: retention must never win the race.
  retry: RETRY_POLICIES.untilDelivered,
});

const { replayIncident } = proxyActivities<AuditActivities>({
  startToCloseTimeout: '5m',
  retry: { maximumAttempts: 3 },
});

/** Started by a closing incident (and left running when it ends): archives its history in PostgreSQL. */
export async function archiveIncidentWorkflow(incidentId: string): Promise<void> {
  await archiveHistory(incidentId);
}

export interface ReplayAuditOptions {
  /** The task queue whose workers replay (with a cap on how many at once); see src/audit/replay-requests.ts. */
  replayTaskQueue?: string;
}

/** Replays an incident's stored history against the worker's current code, for auditors. */
export async function replayAuditWorkflow(incidentId: string, options: ReplayAuditOptions = {}) {
  // Replays requested before they had a queue of their own ran on the incidents' queue.
  if (!options.replayTaskQueue) return replayIncident(incidentId);
  const { replayIncidentHistory } = proxyActivities<ReplayActivities>({
    taskQueue: options.replayTaskQueue,
    startToCloseTimeout: '5m',
    retry: { maximumAttempts: 3 },
  });
  return replayIncidentHistory(incidentId);
}
