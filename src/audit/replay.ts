import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { eventTypeName, type RunHistory } from './history-source';

export interface ReplayVerdict {
  runId: string;
  replayed: boolean;
  /** The first divergence: which event, and why (absent when the run replayed cleanly). */
  divergence?: { eventId?: number; kind: string; reason: string };
  /** Why a clean verdict needed no replay: the code has not been asked anything in this run yet. */
  note?: string;
}

export const NOTHING_TO_CHECK = 'no workflow task has run yet: the code has made no decision in this run';

/** Core names the event it could not match as "id: N" or "event_id N"; keep it when it does. */
function eventIdIn(message: string): number | undefined {
  const match = /(?:event[_ ]id[: ]+|HistoryEvent\(id: |\bid: )(\d+)/i.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * Core names no event when the code does not ask for a patch the history recorded ("patch marker
 * encountered for change X"): the event is that change's marker, found by the change id in its details.
 */
function patchMarkerEventId(message: string, history: RunHistory['history']): number | undefined {
  const change = /patch marker encountered for change ([\w.-]+)/i.exec(message)?.[1];
  if (!change) return undefined;
  type Details = Record<string, { payloads?: Array<{ data?: string }> }>;
  const marker = history.events.find((event) => {
    if (eventTypeName(event) !== 'MarkerRecorded') return false;
    const details = (event.markerRecordedEventAttributes as { details?: Details } | undefined)?.details ?? {};
    const payloads = Object.values(details).flatMap((d) => d.payloads ?? []);
    return payloads.some((p) => p.data !== undefined && Buffer.from(p.data, 'base64').toString('utf8').includes(`"id":${JSON.stringify(change)}`));
  });
  return marker ? Number(marker.eventId) : undefined;
}

/**
 * Whether the workflow code has been asked anything in this run yet. A run that continue-as-new
 * has just started holds only WorkflowExecutionStarted until its first workflow task (the server
 * delays that task after a quick continue-as-new). Core's replayer cannot answer for such a
 * history: it has no activation to give the code, so it never evicts the run, and
 * Worker.runReplayHistories waits for that eviction for ever (docs/temporal-pitfalls.md, 29).
 */
export function hasWorkflowTask(history: RunHistory['history']): boolean {
  return history.events.some((event) => eventTypeName(event) === 'WorkflowTaskStarted');
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
  const verdicts = new Map<RunHistory, ReplayVerdict>();
  const replayable = runs.filter((run) => hasWorkflowTask(run.history));
  for (const run of runs) if (!replayable.includes(run)) verdicts.set(run, { runId: run.runId, replayed: true, note: NOTHING_TO_CHECK });
  if (replayable.length > 0) {
    const histories = replayable.map((run) => ({ workflowId, history: historyFromJSON(run.history) }));
    const results = Worker.runReplayHistories({ ...code, replayName: `audit-${workflowId}` }, histories)[Symbol.asyncIterator]();
    const deadline = Date.now() + deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      for (const [index, run] of replayable.entries()) {
        const expired = new Promise<'expired'>((resolve) => {
          timer = setTimeout(() => resolve('expired'), Math.max(0, deadline - Date.now()));
        });
        const next = await Promise.race([results.next(), expired]);
        clearTimeout(timer);
        if (next === 'expired') {
          const reason = `replay did not finish within ${Math.round(deadlineMs / 1000)} s`;
          for (const rest of replayable.slice(index)) verdicts.set(rest, { runId: rest.runId, replayed: false, divergence: { kind: 'ReplayTimedOut', reason } });
          // The replay worker cannot be stopped from here (its iterator only returns at a result) and is left behind.
          break;
        }
        if (next.done) break;
        const { error } = next.value;
        verdicts.set(
          run,
          error ? { runId: run.runId, replayed: false, divergence: { eventId: eventIdIn(error.message) ?? patchMarkerEventId(error.message, run.history), kind: error.name, reason: error.message } } : { runId: run.runId, replayed: true },
        );
      }
    } finally {
      clearTimeout(timer);
    }
  }
  return runs.flatMap((run) => verdicts.get(run) ?? []);
}
