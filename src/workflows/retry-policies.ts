import type { RetryPolicy } from '@temporalio/common';

/**
 * Named retry policies for activities. Writes to the read model and notifications retry
 * without a limit: an escalation must never be dropped because a database or a channel
 * was down for a while. Bad input is raised as a non-retryable failure instead.
 */
export const RETRY_POLICIES = {
  untilDelivered: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  },
} as const satisfies Record<string, RetryPolicy>;
