import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { WORKFLOW_STACK_TRACE_LIMIT } from '../../src/workflows/stack-trace-limit';
import { acknowledgeUpdate, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { alice } from '../support/principals';
import { createTimeSkippingEnv, withIncident } from '../support/time-skipping';

/**
 * The workflow sandbox keeps five frames of every stack it captures (src/workflows/stack-trace-limit.ts):
 * the SDK captures one for each promise a workflow makes, and with ten that took about a third of
 * the workflow thread while a new worker rebuilt incidents from their histories. The stack-trace
 * query must still say where an incident waits.
 */
describe('stack traces in the workflow sandbox (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  it('holds each pending promise to five frames, and still names the incident code that waits', async () => {
    const input: IncidentWorkflowInput = { incidentId: 'stack-limit-1', dedupKey: 'stack-limit-1', title: 'Beacon', source: 'edr', severity: 'high', policy: DEFAULT_POLICY };
    await withIncident(env, input, async (handle) => {
      await handle.query(stateQuery);
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      const trace = await handle.query<string>('__stack_trace');
      const stacks = trace.split(/\n\s*\n/).map((stack) => stack.split('\n').filter((line) => line.trim().startsWith('at ')));
      expect(stacks.length).toBeGreaterThan(3);
      expect(Math.max(...stacks.map((frames) => frames.length))).toBeLessThanOrEqual(WORKFLOW_STACK_TRACE_LIMIT);
      // Triage waits for the assessment under its deadline's escalation, and the watchers wait on their clocks.
      expect(trace).toMatch(/at awaitWithEscalation \(.*src\/workflows\/incident-workflow\.ts:\d+:\d+\)/);
      expect(trace).toMatch(/at watchClocks \(.*src\/workflows\/watchers\.ts:\d+:\d+\)/);
    });
  });
});
