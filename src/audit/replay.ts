import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { RunHistory } from './history-source';

export interface ReplayVerdict {
  runId: string;
  replayed: boolean;
  /** The first divergence: which event, and why (absent when the run replayed cleanly). */
  divergence?: { eventId?: number; kind: string; reason: string };
}

/** Core names the event it could not match as "id: N" or "event_id N"; keep it when it does. */
function eventIdIn(message: string): number | undefined {
  const match = /(?:event[_ ]id[: ]+|HistoryEvent\(id: |\bid: )(\d+)/i.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * Replays each run against the workflow code given (by default the current code) and says, per
 * run, whether it replayed cleanly or where it first diverged.
 */
export async function replayRuns(
  workflowId: string,
  runs: RunHistory[],
  code: { workflowsPath: string } | { workflowBundle: WorkflowBundleWithSourceMap },
): Promise<ReplayVerdict[]> {
  const verdicts: ReplayVerdict[] = [];
  const histories = runs.map((run) => ({ workflowId, history: historyFromJSON(run.history) }));
  let index = 0;
  for await (const result of Worker.runReplayHistories({ ...code, replayName: `audit-${workflowId}` }, histories)) {
    const run = runs[index++]!;
    if (!result.error) {
      verdicts.push({ runId: run.runId, replayed: true });
      continue;
    }
    const reason = result.error.message;
    verdicts.push({ runId: run.runId, replayed: false, divergence: { eventId: eventIdIn(reason), kind: result.error.name, reason } });
  }
  return verdicts;
}
