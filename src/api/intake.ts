import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError } from '@temporalio/common';
import type { AlertRegister, Delivery, DeliveryTarget } from '../db/alert-register';
import type { Alert } from '../domain/alert-schema';
import { alertIdFor, dedupKeyFor } from '../domain/identity';
import type { AlertSummary } from '../domain/incident';
import type { PolicyTable } from '../domain/policy';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { TASK_QUEUE, workflowIdFor } from '../temporal/contract';
import type { TemporalGate } from '../temporal/reachability';
import type { incidentWorkflow } from '../workflows/incident-workflow';
import { alertSignal, type IncidentWorkflowInput } from '../workflows/messages';

export interface IntakeResult {
  incidentId: string;
  alertId: string;
  /** True when the alert joined an incident that already existed (or was sent before). */
  deduplicated: boolean;
}

/** How long intake waits for Temporal before answering 503 rather than keeping the caller waiting. */
const TEMPORAL_CALL_MS = 10_000;

/**
 * Turns an alert into an incident: records it once, then `signalWithStart`s the incident
 * workflow whose id derives from the dedup key, so a storm of duplicates becomes one incident.
 * A key whose incident has closed opens a new one. A `resolved` alert (Alertmanager) is recorded
 * on the key's incident without starting or closing anything.
 */
export class Intake {
  constructor(
    private readonly client: Client,
    private readonly temporal: TemporalGate,
    private readonly alerts: AlertRegister,
    private readonly policy: PolicyTable,
    private readonly taskQueue: string = TASK_QUEUE,
  ) {}

  async receive(alert: Alert, status: 'firing' | 'resolved' = 'firing', receivedAt: Date = new Date()): Promise<IntakeResult> {
    // Refused before anything is written, so the integration's retry finds nothing half-done.
    this.temporal.assertReachable();
    const alertId = alertIdFor(alert.source, alert.sourceRef);
    const dedupKey = dedupKeyFor(alert);
    const summary: AlertSummary = {
      alertId,
      source: alert.source,
      sourceRef: alert.sourceRef,
      title: alert.title,
      severity: alert.severity,
      receivedAt: receivedAt.toISOString(),
      assets: alert.assets ?? [],
      ...(status === 'resolved' ? { status } : {}),
    };
    const record = { alertId, source: alert.source, sourceRef: alert.sourceRef, dedupKey, severity: alert.severity, title: alert.title, payload: alert };
    const outcome = await this.alerts.register(record, { reopen: status === 'firing' }, (target) =>
      status === 'firing' ? this.startOrSignal(target, dedupKey, alert, summary) : this.signalOnly(target, summary),
    );
    if (outcome.kind === 'replay') return { incidentId: outcome.incidentId, alertId, deduplicated: true };
    return { incidentId: outcome.incidentId, alertId, deduplicated: !outcome.opensIncident };
  }

  private async startOrSignal(target: DeliveryTarget, dedupKey: string, alert: Alert, summary: AlertSummary): Promise<Delivery> {
    const input: IncidentWorkflowInput = {
      incidentId: target.incidentId,
      dedupKey,
      title: alert.title,
      source: alert.source,
      severity: alert.severity,
      policy: this.policy,
    };
    try {
      await this.client.withDeadline(Date.now() + TEMPORAL_CALL_MS, () =>
        this.client.workflow.signalWithStart<typeof incidentWorkflow, [AlertSummary]>('incidentWorkflow', {
          workflowId: workflowIdFor(target.incidentId),
          taskQueue: this.taskQueue,
          // A closed incident is never restarted under its id: its key moves to a new incident instead.
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [input],
          signal: alertSignal,
          signalArgs: [summary],
          typedSearchAttributes: [
            { key: SEARCH_ATTRIBUTES.phase, value: 'detected' },
            { key: SEARCH_ATTRIBUTES.severity, value: alert.severity },
            { key: SEARCH_ATTRIBUTES.source, value: alert.source },
            { key: SEARCH_ATTRIBUTES.escalationLevel, value: 0 },
          ],
        }),
      );
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return 'incident-closed';
      throw err;
    }
  }

  private async signalOnly(target: DeliveryTarget, summary: AlertSummary): Promise<Delivery> {
    try {
      await this.client.withDeadline(Date.now() + TEMPORAL_CALL_MS, () =>
        this.client.workflow.getHandle(workflowIdFor(target.incidentId)).signal(alertSignal, summary),
      );
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'incident-closed';
      throw err;
    }
  }
}
