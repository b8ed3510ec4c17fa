import type { RetryPolicy } from '@temporalio/common';

/**
 * Named retry policies for activities. Nothing that records or tells is ever given up: an
 * escalation must not be dropped because a database or a channel was down for a while. Bad
 * input and refusals (an adapter's 4xx) are raised as non-retryable failures instead.
 */
export const RETRY_POLICIES = {
  /** Read model, notifications: retry until delivered. */
  untilDelivered: {
    initialInterval: '1s',
    backoffCoefficient: 2,
    maximumInterval: '1m',
  },
  /** Actions on outside systems: retry transient failures, but surface a stuck action within hours. */
  adapterAction: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '5m',
    maximumAttempts: 50,
  },
} as const satisfies Record<string, RetryPolicy>;
