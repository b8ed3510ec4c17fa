import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { TemporalGate } from '../temporal/reachability';
import { wholeNumberSetting } from '../whole-number-setting';
import type { replayAuditWorkflow } from '../workflows/audit-workflows';

/** Replays run on a task queue of their own, next to the incidents' one, so they never hold up an incident. */
export function replayTaskQueueFor(taskQueue: string): string {
  return `${taskQueue}-replays`;
}

/** One replay at a time per incident: a second request while one runs joins it. */
export function replayWorkflowIdFor(incidentId: string): string {
  return `replay-${incidentId}`;
}

/** How long a request waits for the verdict before answering "still running, ask here". */
export const DEFAULT_ANSWER_WITHIN_MS = 3_000;

/** A verdict as the replay workflow gives it (one that ran before replays had their own queue lacks replayedAt and workflowCode). */
export type ReplayAnswer = Awaited<ReturnType<typeof replayAuditWorkflow>>;

export type ReplayOutcome = { status: 'done'; replayId: string; report: ReplayAnswer } | { status: 'running'; replayId: string };

export interface ReplayRequestOptions {
  /** The incidents' task queue; the replay runs on its replay queue. */
  taskQueue: string;
  /** By default FIREBREAK_REPLAY_ANSWER_WITHIN_MS, else 3 s; 0 answers "running" at once. */
  answerWithinMs?: number;
}

function answerWithinFromEnvironment(): number {
  return wholeNumberSetting(process.env, 'FIREBREAK_REPLAY_ANSWER_WITHIN_MS', DEFAULT_ANSWER_WITHIN_MS, { unit: 'milliseconds' });
}

/**
 * Starts replays for the API and finds them again. The replay is a workflow whose id is the
 * incident's, so concurrent requests share one; each run of it has an id (its run id) that a
 * client polls with.
 */
export class ReplayRequests {
  private readonly answerWithinMs: number;

  constructor(
    private readonly client: Client,
    private readonly temporal: TemporalGate,
    private readonly options: ReplayRequestOptions,
  ) {
    this.answerWithinMs = options.answerWithinMs ?? answerWithinFromEnvironment();
  }

  async request(incidentId: string): Promise<ReplayOutcome> {
    this.temporal.assertReachable();
    const handle = await this.client.workflow.start<typeof replayAuditWorkflow>('replayAuditWorkflow', {
      taskQueue: this.options.taskQueue,
      workflowId: replayWorkflowIdFor(incidentId),
      args: [incidentId, { replayTaskQueue: replayTaskQueueFor(this.options.taskQueue) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      workflowExecutionTimeout: '10m',
    });
    const replayId = handle.firstExecutionRunId;
    if (this.answerWithinMs === 0) return { status: 'running', replayId };
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'waited'>((resolve) => {
      timer = setTimeout(() => resolve('waited'), this.answerWithinMs);
    });
    try {
      const outcome = await Promise.race([handle.result(), waited]);
      return outcome === 'waited' ? { status: 'running', replayId } : { status: 'done', replayId, report: outcome };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Where a replay stands; undefined when there is no such replay of this incident. */
  async status(incidentId: string, replayId: string): Promise<ReplayOutcome | undefined> {
    this.temporal.assertReachable();
    const handle = this.client.workflow.getHandle<typeof replayAuditWorkflow>(replayWorkflowIdFor(incidentId), replayId);
    try {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return { status: 'running', replayId };
      return { status: 'done', replayId, report: await handle.result() };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError || (err as { code?: number })?.code === 5) return undefined;
      throw err;
    }
  }
}
