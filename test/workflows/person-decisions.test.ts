import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { defaultPayloadConverter } from '@temporalio/common';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import type { Principal } from '../../src/domain/principal';
import { acknowledgeUpdate, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

/** A manager signed in to the console through OpenID Connect, as the API's session gives them. */
const morgan: Principal = {
  keyId: 'oidc:u-morgan',
  name: 'Morgan Manager',
  role: 'manager',
  person: { subject: 'u-morgan', issuer: 'https://idp.example.org', name: 'Morgan Manager', authTime: '2026-12-03T09:00:00.000Z', mfa: true, amr: ['pwd', 'otp'] },
};

describe('decisions made by a person signed in through OpenID Connect (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  const input = (): IncidentWorkflowInput => ({ incidentId: 'oidc-1', dedupKey: 'oidc-1', title: 'Phishing kit on mail-01', source: 'email', severity: 'medium', policy: DEFAULT_POLICY });

  it('records the subject, issuer, name, time of authentication and MFA in the audit entry, the state and the history', async () => {
    await withIncident(env, input(), async (handle, activities) => {
      const state = await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: morgan, decision: {} }] });
      expect(state.acknowledgedBy).toEqual(morgan);

      const [entry] = activities.audit.filter((e) => e.entryKey.startsWith('decision:'));
      expect(entry).toMatchObject({
        actor: 'Morgan Manager',
        actorRole: 'manager',
        details: { keyId: 'oidc:u-morgan', person: { subject: 'u-morgan', issuer: 'https://idp.example.org', authTime: '2026-12-03T09:00:00.000Z', mfa: true, amr: ['pwd', 'otp'] } },
      });

      const history = await handle.fetchHistory();
      const accepted = history.events?.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes);
      const sent = defaultPayloadConverter.fromPayload<{ principal: Principal }>(accepted!.workflowExecutionUpdateAcceptedEventAttributes!.acceptedRequest!.input!.args!.payloads![0]!);
      expect(sent.principal.person).toEqual(morgan.person);
      expect((await handle.query(stateQuery)).phase).toBe('triage');
    });
  });

  it('keeps an API key’s decision free of a person', async () => {
    await withIncident(env, { ...input(), incidentId: 'oidc-2', dedupKey: 'oidc-2' }, async (handle, activities) => {
      const key: Principal = { keyId: 'k-maria', name: 'maria', role: 'manager' };
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: key, decision: {} }] });
      const [entry] = activities.audit.filter((e) => e.entryKey.startsWith('decision:'));
      expect(entry!.details).not.toHaveProperty('person');
    });
  });
});
