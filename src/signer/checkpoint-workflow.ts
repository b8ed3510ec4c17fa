import { proxyActivities } from '@temporalio/workflow';
import type { CheckpointActivities } from './activities';

const { signCheckpoint } = proxyActivities<CheckpointActivities>({
  startToCloseTimeout: '2m',
  retry: { initialInterval: '5s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 5 },
});

/** Started by the checkpoint Schedule on the signer's own task queue: one signed checkpoint, if anything changed. */
export async function auditCheckpointWorkflow(): Promise<CheckpointOutcome> {
  return signCheckpoint();
}

export type CheckpointOutcome = { signed: true; seq: number; root: string; incidents: number; diverged: number } | { signed: false; reason: string };
