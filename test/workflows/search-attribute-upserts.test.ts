import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { CURRENT_RUNS_PATCH } from '../../src/temporal/contract';
import { SEARCH_ATTRIBUTES } from '../../src/temporal/search-attributes';
import { acknowledgeUpdate, addNoteUpdate, assignRoleUpdate, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { alice, maria } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

/**
 * Every upsert of search attributes is a write to Temporal's visibility store, and core adds one to
 * each patch marker. From 0.6.0 a new run records one patch marker for all the patches before it,
 * and a publish upserts only the attributes that changed: the Temporal UI still finds the incident
 * by its current phase and commander, and the timeline still sees each phase entered.
 */
describe('search attribute upserts (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('records one patch marker for a new run, and upserts only what each publish changed', async () => {
    const input: IncidentWorkflowInput = { incidentId: 'sa-upserts-1', dedupKey: 'sa-upserts-1', title: 'Beacon', source: 'edr', severity: 'high', policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle) => {
      await handle.query(stateQuery);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      await handle.executeUpdate(addNoteUpdate, { args: [{ principal: alice, decision: { text: 'beacon every 60 s' } }] });
      await handle.executeUpdate(assignRoleUpdate, { args: [{ principal: maria, decision: { role: 'commander', person: 'carol' } }] });

      const { events } = await handle.fetchHistory();
      const patches = events!
        .filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
        .map((e) => defaultPayloadConverter.fromPayload<{ id: string }>(e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!).id);
      expect(patches).toEqual([CURRENT_RUNS_PATCH]);

      // Which attributes each upsert carried, in order, and which update each followed.
      const upserts: string[] = [];
      for (const e of events!) {
        if (e.workflowExecutionUpdateAcceptedEventAttributes) upserts.push(`update ${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest!.input!.name}`);
        const fields = e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields;
        if (fields) upserts.push(Object.keys(fields).sort().join(','));
      }
      expect(upserts).toEqual([
        'TemporalChangeVersion',
        'FirebreakCommander,FirebreakEscalationLevel,FirebreakPhase,FirebreakSeverity,FirebreakSource',
        'update acknowledge',
        'FirebreakPhase',
        'update addNote',
        'update assignRole',
        'FirebreakCommander',
      ]);

      const { typedSearchAttributes } = await handle.describe();
      expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.phase)).toBe('triage');
      expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.commander)).toBe('carol');
      expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.severity)).toBe('high');
      expect(typedSearchAttributes.get(SEARCH_ATTRIBUTES.escalationLevel)).toBe(0);
    });
  }, 120_000);
});
