import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure, WorkflowNotFoundError } from '@temporalio/common';
import type { IncidentRepository } from '../db/incident-repository';
import type { IncidentState } from '../domain/incident';
import type { Principal } from '../domain/principal';
import { workflowIdFor } from '../temporal/contract';
import { acknowledgeUpdate, DECISION_REJECTED, stateQuery } from '../workflows/messages';
import { problems } from './problem';

/** Reads and decides on incidents through their workflows, mapping outcomes to HTTP problems. */
export class IncidentDecisions {
  constructor(
    private readonly client: Client,
    private readonly incidents: IncidentRepository,
  ) {}

  /** The live state from the workflow; the read model once the run is gone. */
  async state(incidentId: string): Promise<IncidentState> {
    try {
      return await this.client.workflow.getHandle(workflowIdFor(incidentId)).query(stateQuery);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      const row = await this.incidents.find(incidentId);
      if (!row) throw problems.notFound(`no incident ${incidentId}`);
      return row.state;
    }
  }

  async acknowledge(incidentId: string, principal: Principal): Promise<IncidentState> {
    return this.decide(incidentId, () =>
      this.client.workflow.getHandle(workflowIdFor(incidentId)).executeUpdate(acknowledgeUpdate, { args: [{ principal }] }),
    );
  }

  private async decide(incidentId: string, run: () => Promise<IncidentState>): Promise<IncidentState> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw problems.notFound(`no open incident ${incidentId}`);
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === DECISION_REJECTED) {
        throw problems.decisionRejected(err.cause.message);
      }
      throw err;
    }
  }
}
