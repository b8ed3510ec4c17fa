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
