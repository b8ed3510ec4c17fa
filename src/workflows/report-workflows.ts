import { proxyActivities } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/types';
import { days } from '../domain/duration';
import { RETRY_POLICIES } from './retry-policies';

const { sendSummaryReport } = proxyActivities<ReportActivities>({ startToCloseTimeout: '2m', retry: RETRY_POLICIES.untilDelivered });

/** Started by the weekly Schedule: the last seven days' summary, sent through the notifier. */
export async function weeklyReportWorkflow(): Promise<{ from: string; to: string }> {
  const to = new Date();
  const from = new Date(to.getTime() - days(7));
  await sendSummaryReport({ from: from.toISOString(), to: to.toISOString() });
  return { from: from.toISOString(), to: to.toISOString() };
}
