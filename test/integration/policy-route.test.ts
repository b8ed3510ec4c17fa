import { policyFrom } from '../../src/domain/policy-schema';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** The deployment's policy file: a shorter SEV1 acknowledgement and a chain of its own, walked twice. */
const POLICY = policyFrom({
  critical: {
    deadlines: { acknowledge: '10m' },
    escalation: { levels: ['on_call', 'ir_manager', ['ciso', 'ir_manager'], 'external_assistance'], loops: 1 },
    escalationRepeat: '5m',
  },
});

describe('GET /v1/policy: the policy new incidents are opened with', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ policy: POLICY });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers every reader with the deadlines and escalation chains per severity, durations in milliseconds', async () => {
    for (const role of ['responder', 'manager', 'auditor'] as const) {
      const res = await stack.request('GET', '/v1/policy', { key: stack.keys[role] });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body.severities).sort()).toEqual(['critical', 'high', 'low', 'medium']);
      expect(res.body.severities.critical.deadlines.acknowledge).toBe(10 * 60_000);
      expect(res.body.severities.critical.escalationRepeat).toBe(5 * 60_000);
      expect(res.body.severities.critical.escalation).toEqual({ levels: [['on_call'], ['ir_manager'], ['ciso', 'ir_manager'], ['external_assistance']], loops: 1 });
      // What the file leaves out keeps the default: the four targets one per level, no loops.
      expect(res.body.severities.high.escalation).toEqual({ levels: [['on_call'], ['ir_manager'], ['ciso'], ['external_assistance']], loops: 0 });
      expect(res.body.severities.high.deadlines.acknowledge).toBe(30 * 60_000);
    }
  });

  it('is refused to admins and integrations, who do not read incidents', async () => {
    for (const role of ['admin', 'integration'] as const) {
      const res = await stack.request('GET', '/v1/policy', { key: stack.keys[role] });
      expect(res.status).toBe(403);
      expect(res.body.severities).toBeUndefined();
    }
    expect((await stack.request('GET', '/v1/policy')).status).toBe(401);
  });

  it('is the policy an incident opened through the API runs on', async () => {
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'edr', sourceRef: 'pol-1', title: 'Ransom note on file-01', severity: 'critical', dedupKey: uniqueKey('policy') },
    });
    expect(opened.status).toBe(202);
    const policy = (await stack.request('GET', '/v1/policy', { key: stack.keys.manager })).body;
    let state: { openedAt: string; nextDeadline?: { kind: string; dueAt: string } } | undefined;
    for (let i = 0; i < 50 && !state?.nextDeadline; i += 1) {
      const res = await stack.request('GET', `/v1/incidents/${opened.body.incidentId}`, { key: stack.keys.manager });
      if (res.status === 200) state = res.body;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state?.nextDeadline?.kind).toBe('acknowledge');
    expect(Date.parse(state!.nextDeadline!.dueAt) - Date.parse(state!.openedAt)).toBe(policy.severities.critical.deadlines.acknowledge);
  });
});
