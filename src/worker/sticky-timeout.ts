import { wholeNumberSetting } from '../whole-number-setting';

/**
 * How long a workflow task may wait on a worker's sticky queue before the server hands it to the
 * shared queue, where any worker replays the history and takes it. After a worker dies without a
 * word (SIGKILL, OOM, a lost node), every incident it had cached waits this long before it moves
 * again: its next decision, alert or timer. The SDK's default is 10 s; Firebreak's is 3 s, so an
 * escalation due on a dead worker is late by up to 3 s, not 10 (a task the worker had started
 * waits for the workflow task time-out instead: docs/temporal-pitfalls.md, 56). The price: a task
 * that waits longer than this on a worker that is alive but busy is replayed from its whole history
 * by whichever worker takes it (bench/RESULTS.md measures both). The server also times an update's
 * first task after a restart by it while that task waits on the shared queue, and schedules it
 * again when the queue is longer (pitfall 64): under a recovery's load that reorders the queue
 * without making the last incident any later.
 */
export const DEFAULT_STICKY_TIMEOUT_MS = 3_000;

export function stickyTimeoutFromEnvironment(env: NodeJS.ProcessEnv = process.env): number {
  // Under a second, a worker that is merely busy would lose most of its tasks to replays.
  return wholeNumberSetting(env, 'FIREBREAK_STICKY_TIMEOUT_MS', DEFAULT_STICKY_TIMEOUT_MS, { min: 1_000, unit: 'milliseconds' });
}
