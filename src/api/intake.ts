import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy, WorkflowNotFoundError, type SignalDefinition } from '@temporalio/common';
import type { AlertRegister, Delivery, DeliveryTarget } from '../db/alert-register';
import type { Alert } from '../domain/alert-schema';
import { alertIdFor, dedupKeyFor } from '../domain/identity';
import type { AlertSummary } from '../domain/incident';
import { cappedSeverity, constraintViolation, incidentDedupKey, type KeyConstraints } from '../domain/key-constraints';
import type { Severity } from '../domain/severity';
import { dedupeObservables, type RelatedIncidentNotice } from '../domain/observable-record';
import type { PolicyTable } from '../domain/policy';
import { SEARCH_ATTRIBUTES } from '../temporal/search-attributes';
import { CONTINUE_AS_NEW_AFTER_EVENTS, TASK_QUEUE, workflowIdFor } from '../temporal/contract';
import { withinDeadline } from '../temporal/deadline';
import type { TemporalGate } from '../temporal/reachability';
import type { incidentWorkflow } from '../workflows/incident-workflow';
import { alertSignal, relatedIncidentSignal, type IncidentWorkflowInput } from '../workflows/messages';
import { HttpProblem } from './problem';

/** The key an alert came with: its id is stored with the alert, its constraints bound what it may report. */
export interface Reporter {
  keyId: string;
  constraints: KeyConstraints;
}

/**
 * 403 naming the first alert field the key may not send (a source it is not bound to, an asset
 * kind it may not name). Checked for every alert of a request before any is recorded.
 */
export function assertMayReport(reporter: Reporter, alerts: ReadonlyArray<{ alert: Alert; at?: string }>): void {
  for (const { alert, at } of alerts) {
    const violation = constraintViolation(reporter.constraints, alert);
    if (!violation) continue;
    const field = at ? `${at}.${violation.field}` : violation.field;
    throw new HttpProblem(403, 'key-constraint', 'This key may not report that alert', `${field}: ${violation.message}`, { errors: [{ field, message: violation.message }] });
  }
}

export interface IntakeResult {
  incidentId: string;
  alertId: string;
  /** True when the alert joined an incident that already existed (or was sent before). */
  deduplicated: boolean;
  /** Present when the key's cap lowered the severity the alert was recorded at. */
  severityCapped?: { sent: Severity; recorded: Severity };
}

/** How long intake waits for Temporal before answering 503 rather than keeping the caller waiting. */
const TEMPORAL_CALL_MS = 10_000;

/**
 * Turns an alert into an incident: `signalWithStart`s the incident workflow whose id derives from
 * the dedup key when the alert opens it, and signals it otherwise, so a storm of duplicates becomes
 * one incident, and records the alert once.
 * A key whose incident has closed opens a new one. A `resolved` alert (Alertmanager) is recorded
 * on the key's incident without starting or closing anything.
 *
 * The guarantee (AlertRegister says how): every alert answered 202 is stored and counted once by
 * its incident, and was accepted by Temporal before it was stored. An alert not answered may
 * already be in the workflow; the sender's retry stores it without counting it twice (the
 * workflow ignores an alert id it has seen). A replayed alert is not signalled again.
 */
export class Intake {
  constructor(
    private readonly client: Client,
    private readonly temporal: TemporalGate,
    private readonly alerts: AlertRegister,
    /** The policy table every incident it opens starts with (GET /v1/policy shows it). */
    readonly policy: PolicyTable,
    private readonly taskQueue: string = TASK_QUEUE,
  ) {}

  /**
   * `reporter`'s constraints must have been checked (assertMayReport); here its cap lowers the
   * severity and a key that does not correlate across sources finds incidents of its source only.
   */
  async receive(sent: Alert, reporter: Reporter, status: 'firing' | 'resolved' = 'firing', receivedAt: Date = new Date()): Promise<IntakeResult> {
    // Refused before anything is written, so the integration's retry finds nothing half-done.
    this.temporal.assertReachable();
    const severity = cappedSeverity(reporter.constraints, sent.severity);
    const alert: Alert = { ...sent, severity };
    const alertId = alertIdFor(alert.source, alert.sourceRef);
    const dedupKey = alert.dedupKey ? incidentDedupKey(reporter.constraints, alert.source, alert.dedupKey) : dedupKeyFor(alert);
    const observables = dedupeObservables(alert.observables ?? []);
    const summary: AlertSummary = {
      alertId,
      source: alert.source,
      sourceRef: alert.sourceRef,
      title: alert.title,
      severity: alert.severity,
      receivedAt: receivedAt.toISOString(),
      keyId: reporter.keyId,
      assets: alert.assets ?? [],
      ...(status === 'resolved' ? { status } : {}),
      ...(observables.length ? { observables } : {}),
      ...(alert.labels && Object.keys(alert.labels).length ? { labels: alert.labels } : {}),
    };
    const record = {
      alertId,
      source: alert.source,
      sourceRef: alert.sourceRef,
      dedupKey,
      severity: alert.severity,
      title: alert.title,
      // As sent, with the severity before any cap.
      payload: sent,
      keyId: reporter.keyId,
      observables,
      receivedAt: summary.receivedAt,
    };
    const outcome = await this.alerts.register(record, { reopen: status === 'firing' }, async (target) => {
      // Only an alert that opens its incident starts the workflow. Every other alert's incident was
      // started before its key's row was committed, so a plain signal does: it sends neither the
      // workflow's input nor its search attributes again, and a closed (or, after retention, deleted)
      // incident answers 'incident-closed' either way, never a new workflow under the old id.
      const delivery = status === 'firing' && target.opensIncident ? await this.startOrSignal(target, dedupKey, alert, summary) : await this.signalOnly(target, summary);
      if (delivery === 'delivered') await this.relate(target, alertId, summary.receivedAt);
      return delivery;
    });
    const capped = severity === sent.severity ? {} : { severityCapped: { sent: sent.severity, recorded: severity } };
    if (outcome.kind === 'replay') return { incidentId: outcome.incidentId, alertId, deduplicated: true, ...capped };
    return { incidentId: outcome.incidentId, alertId, deduplicated: !outcome.opensIncident, ...capped };
  }

  private async startOrSignal(target: DeliveryTarget, dedupKey: string, alert: Alert, summary: AlertSummary): Promise<Delivery> {
    const input: IncidentWorkflowInput = {
      incidentId: target.incidentId,
      dedupKey,
      title: alert.title,
      source: alert.source,
      severity: alert.severity,
      policy: this.policy,
      continueAsNewAfterEvents: CONTINUE_AS_NEW_AFTER_EVENTS,
    };
    try {
      await withinDeadline(this.client, TEMPORAL_CALL_MS, () =>
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

  /**
   * Tells both sides of each relation: the alert's incident and every other open incident that
   * saw one of its new observables. Inside the alert's transaction (an alert with observables always
   * takes it), so a failure leaves nothing recorded and the sender's retry relates again (each
   * incident ignores a relation it has).
   */
  private async relate(target: DeliveryTarget, alertId: string, at: string): Promise<void> {
    for (const other of target.related) {
      const notice = (incidentId: string): RelatedIncidentNotice => ({ incidentId, alertId, shared: other.shared, at });
      // An incident closed since the read model said it was open relates to nothing new: 'incident-closed' is fine.
      await this.signalOpen(other.incidentId, relatedIncidentSignal, notice(target.incidentId));
      await this.signalOpen(target.incidentId, relatedIncidentSignal, notice(other.incidentId));
    }
  }

  private signalOnly(target: DeliveryTarget, summary: AlertSummary): Promise<Delivery> {
    return this.signalOpen(target.incidentId, alertSignal, summary);
  }

  /** Signals a running incident; one that has closed (its workflow is gone) answers 'incident-closed'. */
  private async signalOpen<T>(incidentId: string, signal: SignalDefinition<[T]>, arg: T): Promise<Delivery> {
    try {
      await withinDeadline(this.client, TEMPORAL_CALL_MS, () => this.client.workflow.getHandle(workflowIdFor(incidentId)).signal(signal, arg));
      return 'delivered';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'incident-closed';
      throw err;
    }
  }
}
