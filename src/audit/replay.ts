import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eventTypeName, type RunHistory } from './history-source';

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

const CLOSING_EVENTS = new Set([
  'WorkflowExecutionCompleted',
  'WorkflowExecutionFailed',
  'WorkflowExecutionTimedOut',
  'WorkflowExecutionCanceled',
  'WorkflowExecutionTerminated',
  'WorkflowExecutionContinuedAsNew',
]);

/**
 * The part of a history the workflow code has already answered. A running workflow's history can
 * end with a task scheduled but not yet completed; replaying that tail would wait for a task that
 * never comes, and it holds no decision of the code to check anyway.
 */
export function answeredPrefix(history: RunHistory['history']): RunHistory['history'] {
  const events = history.events;
  const last = events.at(-1);
  if (!last || CLOSING_EVENTS.has(eventTypeName(last))) return history;
  let end = events.length;
  while (end > 0 && eventTypeName(events[end - 1]!) !== 'WorkflowTaskCompleted') end -= 1;
  return end === events.length || end === 0 ? history : { ...history, events: events.slice(0, end) };
}

/** How long a replay may take before its verdict is "inconclusive" rather than a wait without end. */
export const REPLAY_DEADLINE_MS = 120_000;

/**
 * Replays each run against the workflow code given (by default the current code) and says, per
 * run, whether it replayed cleanly or where it first diverged. Runs not replayed by the deadline
 * get the verdict `ReplayTimedOut`: not proof of a divergence, and not a clean bill either.
 */
export async function replayRuns(
  workflowId: string,
  runs: RunHistory[],
  code: { workflowsPath: string } | { workflowBundle: WorkflowBundleWithSourceMap },
  deadlineMs: number = REPLAY_DEADLINE_MS,
): Promise<ReplayVerdict[]> {
  const verdicts: ReplayVerdict[] = [];
  const histories = runs.map((run) => ({ workflowId, history: historyFromJSON(answeredPrefix(run.history)) }));
  const results = Worker.runReplayHistories({ ...code, replayName: `audit-${workflowId}` }, histories)[Symbol.asyncIterator]();
  const deadline = Date.now() + deadlineMs;
  let timer: NodeJS.Timeout | undefined;
  try {
    while (verdicts.length < runs.length) {
      const run = runs[verdicts.length]!;
      const expired = new Promise<'expired'>((resolve) => {
        timer = setTimeout(() => resolve('expired'), Math.max(0, deadline - Date.now()));
      });
      const next = await Promise.race([results.next(), expired]);
      clearTimeout(timer);
      if (next === 'expired') {
        const reason = `replay did not finish within ${Math.round(deadlineMs / 1000)} s`;
        for (const rest of runs.slice(verdicts.length)) verdicts.push({ runId: rest.runId, replayed: false, divergence: { kind: 'ReplayTimedOut', reason } });
        // The replay worker is left to finish on its own; asking it to stop would wait for it.
        break;
      }
      if (next.done) break;
      const { error } = next.value;
      if (!error) {
        verdicts.push({ runId: run.runId, replayed: true });
        continue;
      }
      verdicts.push({ runId: run.runId, replayed: false, divergence: { eventId: eventIdIn(error.message), kind: error.name, reason: error.message } });
    }
  } finally {
    clearTimeout(timer);
  }
  return verdicts;
}
