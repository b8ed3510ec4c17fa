import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { EventRelayActivities } from '../activities/event-relay';
import { RETRY_POLICIES } from './retry-policies';

const { relayLifecycleEvents } = proxyActivities<EventRelayActivities>({
  // Each run returns after RELAY_RUN_MS; the heartbeat timeout notices a dead worker sooner.
  startToCloseTimeout: '5m',
  heartbeatTimeout: '45s',
  // A sink that is down is tried again until it takes the event: delivery is at least once.
  retry: RETRY_POLICIES.untilDelivered,
});

/** How long one activity run relays before it returns. */
const RELAY_RUN_MS = 60_000;
/** Runs per workflow run before continuing as new, which keeps the history short. */
const RUNS_PER_WORKFLOW = 100;

export interface EventRelayInput {
  /** Shorter runs, for tests. */
  runMs?: number;
  runsPerWorkflow?: number;
}

/**
 * The one relay of a deployment: sends the lifecycle event outbox to the event sink, for ever.
 * The worker starts it with a fixed id, so a second start joins this one.
 */
export async function eventRelayWorkflow(input: EventRelayInput = {}): Promise<never> {
  const runs = input.runsPerWorkflow ?? RUNS_PER_WORKFLOW;
  for (let i = 0; i < runs && !workflowInfo().continueAsNewSuggested; i++) {
    await relayLifecycleEvents({ forMs: input.runMs ?? RELAY_RUN_MS });
  }
  return continueAsNew<typeof eventRelayWorkflow>(input);
}
