import type { UpdateDefinition } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Decided } from '../../src/domain/decisions';
import type { Asset } from '../../src/domain/asset';
import { hours, minutes, seconds } from '../../src/domain/duration';
import type { IncidentState } from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { DEFAULT_REGIMES } from '../../src/domain/regulatory';
import { clocksFor } from '../../src/domain/regulatory-deadlines';
import {
  acknowledgeUpdate,
  addNoteUpdate,
  addObservableUpdate,
  alertSignal,
  approveContainmentUpdate,
  assessUpdate,
  assignRoleUpdate,
  closeUpdate,
  declareRegimeUpdate,
  determineMaterialityUpdate,
  engageExternalAssistanceUpdate,
  escalateUpdate,
  recordFilingUpdate,
  recordReviewUpdate,
  relatedIncidentSignal,
  stateQuery,
} from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

const host: Asset = { kind: 'host', id: 'db-02' };

/**
 * An auditor reads the audit log, not the workflow history: every change of the incident's state
 * must show there once. Decisions are matched to their updates in the history by update id; the
 * workflow's own acts (phases, pages, breaches, stages, reminders) to what the final state holds.
 */
describe('the audit log against the history (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    // A closed incident starts its archiving child, which stops time skipping: this suite's own server.
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('holds exactly one entry for every decision taken and every change the workflow made by itself', async () => {
    const input = { incidentId: 'audit-walk-1', dedupKey: 'audit-walk-1', title: 'Credential stuffing on db-02', source: 'siem', severity: 'high' as const, policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle, activities) => {
      const { openedAt } = await handle.query(stateQuery);
      const decide = <T>(update: UpdateDefinition<IncidentState, [Decided<T>]>, decision: T, by = maria): Promise<IncidentState> =>
        handle.executeUpdate(update, { args: [{ principal: by, decision }] });
      const waitFor = async (what: string, reached: (s: IncidentState) => boolean): Promise<IncidentState> => {
        for (let i = 0; i < 100; i++) {
          const state = await handle.query(stateQuery);
          if (reached(state)) return state;
          await env.sleep(seconds(30));
        }
        throw new Error(`never reached ${what}`);
      };

      await handle.signal(alertSignal, { alertId: 'a-1', source: 'siem', sourceRef: 'r1', title: 't', severity: 'high', receivedAt: openedAt, assets: [host] });
      // Nobody acknowledges for 35 minutes: the workflow pages by itself.
      await env.sleep(minutes(35));
      await decide(assignRoleUpdate, { role: 'commander', person: 'carol' });
      await decide(addNoteUpdate, { text: 'customer portal logins failing' }, alice);
      await decide(addObservableUpdate, { kind: 'ipv4', value: '203.0.113.9', tlp: 'amber' }, alice);
      // Intake found the address in another open incident: the system relates them.
      await handle.signal(relatedIncidentSignal, { incidentId: '00000000000000ab', alertId: 'a-other', shared: [{ kind: 'ipv4', value: '203.0.113.9' }], at: openedAt });
      await waitFor('the relation', (s) => (s.relatedIncidents ?? []).length > 0);
      await decide(acknowledgeUpdate, {}, alice);
      await decide(escalateUpdate, { reason: 'customer data may be involved' });
      await decide(declareRegimeUpdate, { regime: 'gdpr_art33', startedAt: openedAt, clocks: clocksFor('gdpr_art33', DEFAULT_REGIMES.gdpr_art33!, new Date(openedAt), []) });
      await decide(declareRegimeUpdate, { regime: 'sec_8k_105', startedAt: openedAt, clocks: [] });
      const determinedAt = new Date(await env.currentTimeMs()).toISOString();
      await decide(determineMaterialityUpdate, { material: true, determinedAt, rationale: 'customer records exposed', clocks: clocksFor('sec_8k_105', DEFAULT_REGIMES.sec_8k_105!, new Date(determinedAt), []) });
      await decide(assessUpdate, { severity: 'high', category: 'unauthorized_access', strategy: 'contain_first', externalAssistance: true });
      await waitFor('the approval wait', (s) => s.response?.awaitingApproval === true);
      await decide(approveContainmentUpdate, { approved: true });
      await decide(engageExternalAssistanceUpdate, { provider: 'IR firm', reference: 'C-7', engagedAt: determinedAt });
      await waitFor('the review', (s) => s.phase === 'review');
      const now = new Date(await env.currentTimeMs()).toISOString();
      await decide(recordFilingUpdate, { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-1', filedAt: now });
      await decide(recordFilingUpdate, { regime: 'sec_8k_105', stage: 'form_8k', reference: '8-K-1', filedAt: now });
      await env.sleep(hours(49)); // a SEV2's review reminder goes out after two days
      await decide(recordReviewUpdate, { lessons: 'rate limits on the portal', actionItems: [] });
      const closed = await decide(closeUpdate, { resolution: 'resolved', summary: 'accounts reset' });
      expect(closed.phase).toBe('closed');
      const state: IncidentState = await handle.result();

      const keys = activities.audit.map((a) => a.entryKey);
      expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]); // no change audited twice

      // Every update the history accepted has its one decision entry, and there is no other.
      const history = await handle.fetchHistory();
      const accepted = (history.events ?? []).flatMap((e) => {
        const id = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.meta?.updateId;
        return id ? [`decision:${id}`] : [];
      });
      expect(accepted).toHaveLength(15);
      expect(keys.filter((k) => k.startsWith('decision:')).sort()).toEqual([...accepted].sort());

      // The workflow's own changes: each phase, page, breach, stage and reminder once.
      expect(keys.filter((k) => k.startsWith('phase:'))).toEqual(Object.keys(state.phaseEnteredAt).map((p) => `phase:${p}`));
      // The first page at opening is a notice; each escalation after it is a numbered page.
      expect(keys.filter((k) => k.startsWith('page:'))).toEqual(['page:0:acknowledge', ...state.escalations.map((e) => `page:${e.level}:${e.cause}:${e.page}`)]);
      expect(state.escalations.map((e) => e.cause)).toEqual(['acknowledge', 'manual']);
      expect(keys.filter((k) => k.startsWith('sla-breach:'))).toEqual(state.slaBreaches.map((b) => `sla-breach:${b.deadline}:${b.phase}`));
      expect(keys.filter((k) => k.startsWith('stage:'))).toEqual(state.response!.completed.map((s) => `stage:${s}`));
      expect(keys.filter((k) => k.startsWith('reminder:'))).toHaveLength(state.reviewRemindersSent);
      expect(keys.filter((k) => k === 'approval-requested')).toHaveLength(1);
      expect(keys.filter((k) => k.startsWith('related:'))).toHaveLength(state.relatedIncidents!.length);
      expect(state.relatedIncidents).toHaveLength(1);
      expect(state.observables).toEqual([expect.objectContaining({ kind: 'ipv4', value: '203.0.113.9', addedBy: 'alice' })]);
      expect(state.reviewRemindersSent).toBeGreaterThan(0);
    });
  });
});
