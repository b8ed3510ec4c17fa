import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eventTypeName, type HistoryOrigin, type HistorySource, type RunHistory } from './history-source';
import { replayRuns, type ReplayVerdict } from './replay';

export interface ReplayReport {
  incidentId: string;
  source: HistoryOrigin;
  /** When this verdict was reached; a closed incident's later requests get the same one. */
  replayedAt: string;
  /** The workflow code it was reached with: the first 12 hex characters of its bundle's SHA-256. */
  workflowCode: string;
  runs: ReplayVerdict[];
}

/** The activity the replay task queue serves; the replay workflow schedules it there. */
export interface ReplayActivities {
  replayIncidentHistory(incidentId: string): Promise<ReplayReport>;
}

const FINAL_EVENTS = new Set(['WorkflowExecutionCompleted', 'WorkflowExecutionFailed', 'WorkflowExecutionTimedOut', 'WorkflowExecutionCanceled', 'WorkflowExecutionTerminated']);

/** Closed for good: the last run ended, and not by continuing as new. Its history can no longer grow. */
export function hasClosed(runs: RunHistory[]): boolean {
  const last = runs.at(-1)?.history.events.at(-1);
  return last !== undefined && FINAL_EVENTS.has(eventTypeName(last));
}

/** How many closed incidents' verdicts a worker keeps. */
export const CACHED_VERDICTS = 1_000;

/**
 * Replays an incident's history against this worker's workflow code. A closed incident's history
 * cannot change, nor can this process's code, so its verdict is kept and given again; an open
 * incident is replayed every time, since its history grows.
 */
export function createReplayActivities(deps: { histories: HistorySource; workflowBundle: () => Promise<WorkflowBundleWithSourceMap> }): ReplayActivities {
  const closedVerdicts = new Map<string, ReplayReport>();
  return {
    async replayIncidentHistory(incidentId) {
      const cached = closedVerdicts.get(incidentId);
      if (cached) return cached;
      const history = await deps.histories.of(incidentId);
      if (!history) throw ApplicationFailure.nonRetryable(`no history for incident ${incidentId}`, 'NotFound');
      const workflowBundle = await deps.workflowBundle();
      const report: ReplayReport = {
        incidentId,
        source: history.source,
        replayedAt: new Date().toISOString(),
        workflowCode: createHash('sha256').update(workflowBundle.code).digest('hex').slice(0, 12),
        runs: await replayRuns(history.workflowId, history.runs, { workflowBundle }),
      };
      // An inconclusive verdict (a replay that ran out of time) is not worth keeping.
      if (hasClosed(history.runs) && report.runs.every((r) => r.divergence?.kind !== 'ReplayTimedOut')) {
        if (closedVerdicts.size >= CACHED_VERDICTS) closedVerdicts.delete(closedVerdicts.keys().next().value!);
        closedVerdicts.set(incidentId, report);
      }
      return report;
    },
  };
}
