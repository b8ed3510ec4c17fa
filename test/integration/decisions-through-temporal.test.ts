import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { temporalCliPath } from '../../src/temporal/binaries';
import { workflowIdFor } from '../../src/temporal/contract';
import { waitFor } from '../../src/net';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/**
 * Someone who reaches Temporal's port, not the API, tries to take decisions with the Temporal CLI,
 * naming any principal they like. The workflow refuses them, and nothing of them is left.
 */
describe('decisions that bypass the API', () => {
  let stack: TestStack;
  let incidentId: string;
  beforeAll(async () => {
    stack = await startTestStack();
    const res = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'ids', sourceRef: uniqueKey('evt'), title: 'Beacon to known C2', severity: 'high', dedupKey: uniqueKey('bypass') },
    });
    expect(res.status).toBe(202);
    incidentId = res.body.incidentId;
    await waitFor('the incident', async () => {
      if ((await stack.request('GET', `/v1/incidents/${incidentId}`, { key: stack.keys.auditor })).status !== 200) throw new Error('not yet');
    }, 20_000, 200);
  }, 120_000);
  afterAll(async () => {
    await stack?.temporal.workflow.getHandle(workflowIdFor(incidentId)).terminate('test finished').catch(() => undefined);
    await stack?.close();
  });

  /** `temporal workflow update execute`, as an attacker at the gRPC port would run it. */
  async function cliUpdate(name: string, input: unknown): Promise<{ code: number; output: string }> {
    const args = ['workflow', 'update', 'execute', '--workflow-id', workflowIdFor(incidentId), '--name', name, '--input', JSON.stringify(input), '--address', testEnv('temporalAddress'), '--namespace', 'default'];
    try {
      const { stdout, stderr } = await promisify(execFile)(temporalCliPath(), args);
      return { code: 0, output: stdout + stderr };
    } catch (err) {
      const failed = err as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  }

  it('refuses an acknowledgement and an assessment sent with the Temporal CLI, and leaves no trace of them', async () => {
    const mallory = { keyId: 'k-forged', name: 'the CISO', role: 'manager' };
    const ack = await cliUpdate('acknowledge', { principal: mallory, decision: {} });
    expect(ack.code).not.toBe(0);
    expect(ack.output).toMatch(/the decision is not signed/);
    // A signature copied from nowhere is no better.
    const forged = await cliUpdate('assess', {
      principal: mallory,
      decision: { severity: 'low', category: 'other', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'nothing to see' } },
      signature: { keyId: 'test-1', issuedAt: new Date().toISOString(), value: '00'.repeat(64) },
    });
    expect(forged.code).not.toBe(0);
    expect(forged.output).toMatch(/signature does not verify/);

    const state = await stack.request('GET', `/v1/incidents/${incidentId}`, { key: stack.keys.auditor });
    expect(state.body).toMatchObject({ phase: 'detected', severity: 'high' });
    expect(state.body.acknowledgedAt).toBeUndefined();
    const audit = await stack.request('GET', `/v1/incidents/${incidentId}/audit`, { key: stack.keys.auditor });
    expect(audit.status).toBe(200);
    expect(JSON.stringify(audit.body)).not.toMatch(/the CISO|k-forged/);
    const history = await stack.request('GET', `/v1/incidents/${incidentId}/history`, { key: stack.keys.auditor });
    expect(JSON.stringify(history.body)).not.toMatch(/WORKFLOW_EXECUTION_UPDATE_ACCEPTED/);
  });

  it('applies the same decision through the API, signed, and records which key signed it', async () => {
    const ack = await stack.request('POST', `/v1/incidents/${incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
    expect(ack.status).toBe(200);
    expect(ack.body.phase).toBe('triage');
    await waitFor('the signed acknowledgement in the audit log', async () => {
      const audit = await stack.request('GET', `/v1/incidents/${incidentId}/audit`, { key: stack.keys.auditor });
      const entry = JSON.stringify(audit.body);
      if (!entry.includes('"signedWith":"test-1"')) throw new Error('not yet');
    }, 20_000, 200);
  });
});
