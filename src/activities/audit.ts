import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { HistorySource } from '../audit/history-source';
import { replayRuns } from '../audit/replay';
import { workflowIdFor } from '../temporal/contract';
import { incidentBundleOptions } from '../worker/workflow-bundle';
import type { AuditActivities } from './types';

export interface AuditDependencies {
  client: Client;
  histories: HistorySource;
  workflowsPath: string;
  /** The worker's own workflow code, read on first use; by default the workflows at `workflowsPath`, bundled then. */
  workflowBundle?: () => Promise<WorkflowBundleWithSourceMap>;
}

export function createAuditActivities(deps: AuditDependencies): AuditActivities {
  // Bundling the workflow code takes seconds; one bundle serves every replay of this worker.
  let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;
  const currentCode = async () => {
    bundle ??= deps.workflowBundle?.() ?? bundleWorkflowCode({ ...incidentBundleOptions(deps.workflowsPath), logger: new DefaultLogger('WARN') });
    return { workflowBundle: await bundle };
  };
  return {
    async archiveHistory(incidentId) {
      const workflowId = workflowIdFor(incidentId);
      const description = await deps.client.workflow.getHandle(workflowId).describe();
      if (description.status.name === 'RUNNING') throw new Error(`incident ${incidentId} is still running; archiving waits for it to close`);
      const runs = await deps.histories.fromTemporal(workflowId);
      await deps.histories.archive(incidentId, runs);
      return { runs: runs.length };
    },

    async replayIncident(incidentId) {
      const history = await deps.histories.of(incidentId);
      if (!history) throw ApplicationFailure.nonRetryable(`no history for incident ${incidentId}`, 'NotFound');
      const runs = await replayRuns(history.workflowId, history.runs, await currentCode());
      return { incidentId, source: history.source, runs };
    },
  };
}
