import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { IncidentActivities } from '../activities/types';
import type { WebhookActionActivities } from '../activities/webhook-action';
import type { RetryPolicyName } from '../domain/playbook';
import { RETRY_POLICIES } from './retry-policies';

/** The incident workflow's activities with their timeouts and retries, shared by its modules. */

export const { recordIncident, notify } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '30s',
  retry: RETRY_POLICIES.untilDelivered,
});

/**
 * The read model and the audit entries written by the workflow's own worker, inside the workflow
 * task (0.5.0): no activity task, so a decision answers one server round trip sooner. The result
 * (the audit chain's head) is kept in history by the local activity's marker. Retries run inside
 * the workflow task while short; from 16 s on (past `localRetryThreshold`) each wait is a timer,
 * so a long PostgreSQL outage costs one workflow task a minute, not a spinning one.
 */
export const { recordIncident: recordIncidentLocally } = proxyLocalActivities<IncidentActivities>({
  startToCloseTimeout: '10s',
  localRetryThreshold: '10s',
  retry: RETRY_POLICIES.untilDelivered,
});

// Adapter calls heartbeat while they wait (see keepAlive), so a worker that dies mid-action is
// noticed within the heartbeat timeout and the action is retried elsewhere under its idempotency key.
export const ADAPTER_HEARTBEAT_TIMEOUT = '30s' as const;

export const { contain, recover } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: ADAPTER_HEARTBEAT_TIMEOUT,
  retry: RETRY_POLICIES.adapterAction,
});

export const { collectEvidence } = proxyActivities<IncidentActivities>({
  startToCloseTimeout: '2h',
  heartbeatTimeout: ADAPTER_HEARTBEAT_TIMEOUT,
  retry: RETRY_POLICIES.adapterAction,
});

/** The scanner is asked until `until`; the activity may run that long, plus five minutes. */
export function verifyPatchesUntil(until: number) {
  return proxyActivities<IncidentActivities>({
    startToCloseTimeout: Math.max(until - Date.now(), 0) + 5 * 60_000,
    heartbeatTimeout: ADAPTER_HEARTBEAT_TIMEOUT,
    retry: RETRY_POLICIES.adapterAction,
  }).verifyPatches;
}

/**
 * A playbook step's adapter activities under the retry policy it names (adapterAction unless it
 * names another). The built-in plans use the ones above.
 */
export function stepActivities(retry: RetryPolicyName = 'adapterAction') {
  const options = { heartbeatTimeout: ADAPTER_HEARTBEAT_TIMEOUT, retry: RETRY_POLICIES[retry] };
  // A proxy has no own keys to spread: name each activity.
  const { contain, recover } = proxyActivities<IncidentActivities>({ startToCloseTimeout: '2m', ...options });
  return {
    contain,
    recover,
    collectEvidence: proxyActivities<IncidentActivities>({ startToCloseTimeout: '2h', ...options }).collectEvidence,
    callWebhook: proxyActivities<WebhookActionActivities>({ startToCloseTimeout: '2m', ...options }).callWebhook,
  };
}
