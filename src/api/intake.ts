import type { Client } from '@temporalio/client';
import type { AlertRegister } from '../db/alert-register';
import type { Alert } from '../domain/alert-schema';
import { alertIdFor, dedupKeyFor, incidentIdFor } from '../domain/identity';
import type { AlertSummary } from '../domain/incident';
import type { PolicyTable } from '../domain/policy';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { TASK_QUEUE, workflowIdFor } from '../temporal/contract';
import type { incidentWorkflow } from '../workflows/incident-workflow';
import { alertSignal, type IncidentWorkflowInput } from '../workflows/messages';

export interface IntakeResult {
  incidentId: string;
  alertId: string;
  /** True when the alert joined an incident that already existed (or was sent before). */
  deduplicated: boolean;
}

/**
 * Turns an alert into an incident: records it once, then `signalWithStart`s the incident
 * workflow whose id derives from the dedup key, so a storm of duplicates becomes one incident.
 */
export class Intake {
  constructor(
    private readonly client: Client,
    private readonly alerts: AlertRegister,
    private readonly policy: PolicyTable,
    private readonly taskQueue: string = TASK_QUEUE,
  ) {}

  async receive(alert: Alert, receivedAt: Date = new Date()): Promise<IntakeResult> {
    const alertId = alertIdFor(alert.source, alert.sourceRef);
    const dedupKey = dedupKeyFor(alert);
    const incidentId = incidentIdFor(dedupKey);
    const summary: AlertSummary = {
      alertId,
      source: alert.source,
      sourceRef: alert.sourceRef,
      title: alert.title,
      severity: alert.severity,
      receivedAt: receivedAt.toISOString(),
      assets: alert.assets ?? [],
    };
    const input: IncidentWorkflowInput = {
      incidentId,
      dedupKey,
      title: alert.title,
      source: alert.source,
      severity: alert.severity,
      policy: this.policy,
    };
    const outcome = await this.alerts.register(
      { alertId, source: alert.source, sourceRef: alert.sourceRef, incidentId, dedupKey, severity: alert.severity, title: alert.title, payload: alert },
      async () => {
        await this.client.workflow.signalWithStart<typeof incidentWorkflow, [AlertSummary]>('incidentWorkflow', {
          workflowId: workflowIdFor(incidentId),
          taskQueue: this.taskQueue,
          args: [input],
          signal: alertSignal,
          signalArgs: [summary],
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.phase, value: 'detected' },
            { key: SEARCH_ATTRIBUTES.severity, value: alert.severity },
            { key: SEARCH_ATTRIBUTES.source, value: alert.source },
            { key: SEARCH_ATTRIBUTES.escalationLevel, value: 0 },
          ],
        });
      },
    );
    if (outcome.kind === 'replay') return { incidentId: outcome.incidentId, alertId, deduplicated: true };
    return { incidentId, alertId, deduplicated: !outcome.opensIncident };
  }
}
