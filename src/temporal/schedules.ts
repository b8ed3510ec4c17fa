import { ScheduleAlreadyRunning, type Client } from '@temporalio/client';
import { TASK_QUEUE } from './contract';

export const WEEKLY_REPORT_SCHEDULE = 'firebreak-weekly-report';

/**
 * The weekly CISO report as a Temporal Schedule: Mondays 08:00 UTC, the last seven days. Creating
 * it again is harmless, so every worker start makes sure it exists.
 */
export async function ensureWeeklyReportSchedule(client: Client, options: { scheduleId?: string; taskQueue?: string } = {}): Promise<string> {
  const scheduleId = options.scheduleId ?? WEEKLY_REPORT_SCHEDULE;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { calendars: [{ dayOfWeek: 'MONDAY', hour: 8, minute: 0 }] },
      action: { type: 'startWorkflow', workflowType: 'weeklyReportWorkflow', taskQueue: options.taskQueue ?? TASK_QUEUE, args: [] },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  return scheduleId;
}

export const AUDIT_CHECKPOINT_SCHEDULE = 'firebreak-audit-checkpoints';

/**
 * Signed audit checkpoints as a Temporal Schedule: every `every` (`15m`), a checkpoint workflow on
 * the signer's own task queue. One at a time (a slow one is not overlapped), and a run missed
 * while nothing polled is not caught up: the next one covers it. The signer makes sure it exists
 * at every start; an existing schedule is left as it is.
 */
export async function ensureCheckpointSchedule(client: Client, options: { taskQueue: string; every: string; scheduleId?: string }): Promise<string> {
  const scheduleId = options.scheduleId ?? AUDIT_CHECKPOINT_SCHEDULE;
  try {
    await client.schedule.create({
      scheduleId,
      spec: { intervals: [{ every: options.every as `${number}m` }] },
      policies: { overlap: 'SKIP', catchupWindow: '1m' },
      action: { type: 'startWorkflow', workflowType: 'auditCheckpointWorkflow', taskQueue: options.taskQueue, args: [], workflowExecutionTimeout: '10m' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  return scheduleId;
}
