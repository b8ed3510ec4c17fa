import { QueryNotRegisteredError, QueryRejectedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError, type UpdateDefinition } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { AuditLog } from '../db/audit-log';
import type { IncidentRepository } from '../db/incident-repository';
import type { TaskRegister } from '../db/task-register';
import type { Decided } from '../domain/decisions';
import type { FollowUpState } from '../domain/follow-up';
import type { IncidentState } from '../domain/incident';
import type { Principal } from '../domain/principal';
import { isTaskOpen } from '../domain/task';
import { followUpWorkflowIdFor, workflowIdFor } from '../temporal/contract';
import { withinDeadline } from '../temporal/deadline';
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

/** Reads and decides on incidents (and their follow-ups) through their workflows, mapping outcomes to HTTP problems. */
export class IncidentDecisions {
  constructor(
    private readonly client: Client,
    private readonly temporal: TemporalGate,
    private readonly incidents: IncidentRepository,
    private readonly auditLog: AuditLog,
    private readonly tasks: TaskRegister,
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
      const state = await withinDeadline(this.client, QUERY_DEADLINE_MS, () => this.client.workflow.getHandle(workflowIdFor(incidentId)).query(stateQuery));
      return { state, source: 'workflow' };
    } catch (err) {
      const gone = err instanceof WorkflowNotFoundError;
      // A worker dying mid-task can fail the query itself (the server's QueryFailed arrives as
      // QueryNotRegisteredError): for a read that is one more reason to answer from the snapshot.
      const unanswered = err instanceof QueryNotRegisteredError || err instanceof QueryRejectedError;
      if (!gone && !unanswered && unavailableDependency(err) !== 'Temporal') throw err;
      const row = await this.incidents.find(incidentId);
      if (row) return { state: row.state, source: 'read-model' };
      if (gone) throw problems.notFound(`no incident ${incidentId}`);
      throw err;
    }
  }

  /**
   * Sends a decision as an update to the incident's workflow and waits for the new state.
   * `updateId` (from an Idempotency-Key) makes a repeat of the same request the same update,
   * applied once. The workflow's validator rejects a decision that does not fit (409); a closed
   * incident's workflow has no handler left (409 too).
   */
  async decide<T>(incidentId: string, update: UpdateDefinition<IncidentState, [Decided<T>]>, decision: T, principal: Principal, updateId?: string): Promise<IncidentState> {
    return this.send({ incidentId, workflowId: workflowIdFor(incidentId), goneReason: async () => `incident ${incidentId} is no longer open` }, update, decision, principal, updateId);
  }

  /**
   * A decision about a closed incident's follow-ups, sent to their own workflow and judged there as
   * incident decisions are. That workflow ends once every follow-up is settled, and there is none
   * when the review named no action items: both are 409, naming which.
   */
  async decideFollowUp<T>(incidentId: string, update: UpdateDefinition<FollowUpState, [Decided<T>]>, decision: T, principal: Principal, updateId?: string): Promise<FollowUpState> {
    const goneReason = async () => {
      const followUps = await this.tasks.followUps(incidentId);
      if (followUps.length === 0) return `incident ${incidentId} has no follow-ups (its review named no action items, or it has not closed)`;
      const open = followUps.filter(isTaskOpen).length;
      if (open > 0) return `the follow-ups of incident ${incidentId} are not running (${open} still open)`;
      const done = followUps.filter((t) => t.status === 'done').length;
      return `every follow-up of incident ${incidentId} is settled (${done} done, ${followUps.length - done} skipped); they take no more decisions`;
    };
    return this.send({ incidentId, workflowId: followUpWorkflowIdFor(incidentId), goneReason }, update, decision, principal, updateId);
  }

  /**
   * The one path of every decision: an update with a deadline (an unreachable Temporal is 503 by
   * the error handler), a validator's rejection as 409 with its reason and an audit entry, and a
   * missing workflow as 409 when the incident exists (the target says why) or 404 when it does not.
   */
  private async send<S, T>(target: DecisionTarget, update: UpdateDefinition<S, [Decided<T>]>, decision: T, principal: Principal, updateId: string | undefined): Promise<S> {
    const { incidentId } = target;
    const timer = this.metrics?.decisionSeconds.startTimer({ decision: update.name });
    let outcome = 'error';
    try {
      this.temporal.assertReachable();
      const state = await withinDeadline(this.client, DECISION_DEADLINE_MS, () =>
        this.client.workflow.getHandle(target.workflowId).executeUpdate(update, { args: [{ principal, decision }], ...(updateId ? { updateId } : {}) }),
      );
      outcome = 'applied';
      return state;
    } catch (err) {
      outcome = 'rejected';
      if (err instanceof WorkflowNotFoundError) {
        if (await this.incidents.find(incidentId)) {
          const reason = await target.goneReason();
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

/** Where a decision about an incident goes, and why it is refused when that workflow is gone. */
interface DecisionTarget {
  incidentId: string;
  workflowId: string;
  /** The 409's reason when the workflow is gone (or never was) but the incident exists. */
  goneReason: () => Promise<string>;
}
