import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { minutes } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { addObservableUpdate, alertSignal, relatedIncidentSignal, stateQuery } from '../../src/workflows/messages';
import { alice } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

describe('observables on a running incident (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('merges alerts’ observables once each, audits an analyst’s addition and each new relation once', async () => {
    const input = { incidentId: 'obs-walk-1', dedupKey: 'obs-walk-1', title: 'Beacon from ws-12', source: 'edr', severity: 'high' as const, policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      const later = new Date(Date.parse(openedAt) + minutes(5)).toISOString();
      const alert = (alertId: string, receivedAt: string) => ({
        alertId, source: 'edr', sourceRef: alertId, title: 't', severity: 'high' as const, receivedAt, assets: [],
        observables: [{ kind: 'domain' as const, value: 'c2.example', tlp: 'amber' as const }],
        labels: { rule: 'beacon' },
      });
      await handle.signal(alertSignal, alert('a-1', openedAt));
      await handle.signal(alertSignal, alert('a-2', later));

      const notice = { incidentId: 'other-incident', alertId: 'a-2', shared: [{ kind: 'domain' as const, value: 'c2.example' }], at: later };
      await handle.signal(relatedIncidentSignal, notice);
      await handle.signal(relatedIncidentSignal, notice); // a retried intake tells it again
      await handle.signal(relatedIncidentSignal, { ...notice, incidentId: input.incidentId }); // never related to itself

      const added = await handle.executeUpdate(addObservableUpdate, { args: [{ principal: alice, decision: { kind: 'ipv4', value: '192.0.2.7', tlp: 'red' } }] });
      expect(added.observables).toEqual([
        { kind: 'domain', value: 'c2.example', tlp: 'amber', firstSeen: openedAt, lastSeen: later, alertId: 'a-1' },
        { kind: 'ipv4', value: '192.0.2.7', tlp: 'red', firstSeen: expect.any(String), lastSeen: expect.any(String), addedBy: alice.name },
      ]);
      const twice = handle.executeUpdate(addObservableUpdate, { args: [{ principal: alice, decision: { kind: 'ipv4', value: '192.0.2.7', tlp: 'red' } }] });
      await expect(twice).rejects.toBeInstanceOf(WorkflowUpdateFailedError);

      const state: IncidentState = await handle.query(stateQuery);
      expect(state.relatedIncidents).toEqual([{ incidentId: 'other-incident', kind: 'domain', value: 'c2.example', alertId: 'a-2', at: later }]);
      // The alert shows its labels; its observables live on the incident, not on the alert.
      expect(state.recentAlerts[1]).toEqual(expect.objectContaining({ labels: { rule: 'beacon' } }));
      expect(state.recentAlerts[1]).not.toHaveProperty('observables');

      await env.sleep(minutes(1));
      const actions = activities.audit.map((a) => `${a.action}:${a.actor}`);
      expect(actions.filter((a) => a.startsWith('relate_incident'))).toEqual(['relate_incident:firebreak']);
      expect(actions.filter((a) => a.startsWith('addObservable'))).toEqual([`addObservable:${alice.name}`]);
      expect(activities.audit.find((a) => a.action === 'relate_incident')?.details).toEqual({ incidentId: 'other-incident', alertId: 'a-2', shared: [{ kind: 'domain', value: 'c2.example' }] });
    });
  });
});
