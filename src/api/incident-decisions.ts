import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../db/audit-log';
import type { IncidentRepository } from '../db/incident-repository';
import type { Decided } from '../domain/decisions';
import type { IncidentState } from '../domain/incident';
import type { Principal } from '../domain/principal';
import { workflowIdFor } from '../temporal/contract';
import type { TemporalGate } from '../temporal/reachability';
import { DECISION_REJECTED, stateQuery } from '../workflows/messages';
import type { ApiMetrics } from './metrics';
import { unavailableDependency } from './dependency-errors';
import { problems } from './problem';

/** How long a decision waits for the workflow before answering 503 (a worker may be restarting). */
const DECISION_DEADLINE_MS = 30_000;
/** A query needs a worker too; past this the read model answers (503 when it has no row). */
const QUERY_DEADLINE_MS = 5_000;

/** Where a state came from: the running workflow, or the read model's last snapshot of it. */
export type StateSource = 'workflow' | 'read-model';
/** Tells a reader of `GET /v1/incidents/:id` whether the state is live or the last snapshot. */
export const STATE_SOURCE_HEADER = 'Firebreak-State-Source';

/** Reads and decides on incidents through their workflows, mapping outcomes to HTTP problems. */
export class IncidentDecisions {
  constructor(
    private readonly client: Client,
    private readonly temporal: TemporalGate,
    private readonly incidents: IncidentRepository,
    private readonly auditLog: AuditLog,
    private readonly metrics?: ApiMetrics,
  ) {}

  /** A rejected decision never enters history, so the audit log is where it is kept. */
  private async recordRejection(incidentId: string, action: string, principal: Principal, decision: unknown, reason: string): Promise<void> {
    await this.auditLog.append(incidentId, [
      {
        entryKey: `rejected:${randomUUID()}`,
        at: new Date().toISOString(),
        actor: principal.name,
        actorRole: principal.role,
        action,
        outcome: 'rejected',
        details: { keyId: principal.keyId, decision: decision as Record<string, unknown>, reason },
      },
    ]);
  }

  /**
   * The live state from the workflow. The read model answers instead once the run is gone, and
   * while Temporal or every worker is down (the query times out): then `source` says it may lag.
   */
  async state(incidentId: string): Promise<{ state: IncidentState; source: StateSource }> {
    try {
      this.temporal.assertReachable();
      const state = await this.client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => this.client.workflow.getHandle(workflowIdFor(incidentId)).query(stateQuery));
      return { state, source: 'workflow' };
    } catch (err) {
      const gone = err instanceof WorkflowNotFoundError;
      if (!gone && unavailableDependency(err) !== 'Temporal') throw err;
      const row = await this.incidents.find(incidentId);
      if (row) return { state: row.state, source: 'read-model' };
      if (gone) throw problems.notFound(`no incident ${incidentId}`);
      throw err;
    }
  }

  /**
   * Sends a decision as an update and waits for the new state. `updateId` (from an Idempotency-Key)
   * makes a repeat of the same request the same update, applied once. The workflow's validator rejects a
   * decision that does not fit (409); a closed incident's workflow has no handler left (409 too).
   */
  async decide<T>(incidentId: string, update: UpdateDefinition<IncidentState, [Decided<T>]>, decision: T, principal: Principal, updateId?: string): Promise<IncidentState> {
    const timer = this.metrics?.decisionSeconds.startTimer({ decision: update.name });
    let outcome = 'error';
    try {
      this.temporal.assertReachable();
      const state = await this.client.withDeadline(Date.now() + DECISION_DEADLINE_MS, () =>
        this.client.workflow.getHandle(workflowIdFor(incidentId)).executeUpdate(update, { args: [{ principal, decision }], ...(updateId ? { updateId } : {}) }),
      );
      outcome = 'applied';
      return state;
    } catch (err) {
      outcome = 'rejected';
      if (err instanceof WorkflowNotFoundError) {
        if (await this.incidents.find(incidentId)) {
          const reason = `incident ${incidentId} is no longer open`;
          await this.recordRejection(incidentId, update.name, principal, decision, reason);
          throw problems.decisionRejected(reason);
        }
        throw problems.notFound(`no incident ${incidentId}`);
      }
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === DECISION_REJECTED) {
        await this.recordRejection(incidentId, update.name, principal, decision, err.cause.message);
        throw problems.decisionRejected(err.cause.message);
      }
      outcome = 'error';
      throw err;
    } finally {
      timer?.({ outcome });
    }
  }
}
