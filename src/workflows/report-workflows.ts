import { proxyActivities } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/types';
import { RETRY_POLICIES } from './retry-policies';

const { sendSummaryReport } = proxyActivities<ReportActivities>({ startToCloseTimeout: '2m', retry: RETRY_POLICIES.untilDelivered });

const WEEK_MS = 7 * 86_400_000;

/** Started by the weekly Schedule: the last seven days' summary, sent through the notifier. */
export async function weeklyReportWorkflow(): Promise<{ from: string; to: string }> {
  const to = new Date();
  const from = new Date(to.getTime() - WEEK_MS);
  await sendSummaryReport({ from: from.toISOString(), to: to.toISOString() });
  return { from: from.toISOString(), to: to.toISOString() };
}
