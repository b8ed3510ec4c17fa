import { randomUUID } from 'node:crypto';
import { Client, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { DecisionSigner } from '../../src/decision-keys';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import type { Principal } from '../../src/domain/principal';
import { acknowledgeUpdate, addNoteUpdate, DECISION_REJECTED, stateQuery, type IncidentWorkflowInput } from '../../src/workflows/messages';
import { testKeyring, testSigner } from '../support/decision-keys';
import { alice } from '../support/principals';
import { createTestWorker, createTimeSkippingEnv, RecordingActivities, withIncident } from '../support/time-skipping';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

/** The validator's reason when the workflow refuses the update; fails the test when it was applied. */
async function refusal(sent: Promise<unknown>): Promise<string> {
  try {
    await sent;
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === DECISION_REJECTED) return err.cause.message;
    throw err;
  }
  throw new Error('the decision was applied');
}

describe('signed decisions (time-skipping)', () => {
  let env: TestWorkflowEnvironment;
  /** A client as anyone who reaches Temporal has one: it signs nothing. */
  let bare: Client;
  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    bare = new Client({ connection: env.connection, namespace: env.namespace ?? 'default' });
  });
  afterAll(async () => {
    await env?.teardown();
  });

  let n = 0;
  function input(): IncidentWorkflowInput {
    n += 1;
    return { incidentId: `signed-${n}`, dedupKey: `signed-${n}`, title: 'Beacon to known C2', source: 'ids', severity: 'high', policy: DEFAULT_POLICY };
  }
  const atServerTime = (signer: DecisionSigner, offsetMs = 0) => signer.withClock(async () => (await env.currentTimeMs()) + offsetMs);

  /** Sends an acknowledgement as someone at Temporal's port would: arguments and update id of their choosing. */
  async function sendRaw(handle: WorkflowHandle, args: unknown, updateId: string = randomUUID()) {
    return bare.workflow.getHandle(handle.workflowId).executeUpdate(acknowledgeUpdate, { args: [args as never], updateId });
  }

  /** Nothing of a refused decision is left: the state is as before, and no decision reached the audit trail. */
  async function expectUntouched(handle: WorkflowHandle, activities: RecordingActivities, version: number) {
    const state = await handle.query(stateQuery);
    expect(state.phase).toBe('detected');
    expect(state.acknowledgedAt).toBeUndefined();
    expect(state.version).toBe(version);
    expect(activities.audit.filter((e) => e.entryKey.startsWith('decision:'))).toEqual([]);
    expect(activities.snapshots.every((s) => s.phase === 'detected')).toBe(true);
  }

  it('refuses a decision sent straight to Temporal, as the CLI would send it, and leaves nothing behind', async () => {
    await withIncident(env, input(), async (handle, activities) => {
      const { version } = await handle.query(stateQuery);
      expect(await refusal(sendRaw(handle, { principal: { keyId: 'k-maria', name: 'maria', role: 'manager' }, decision: {} }))).toMatch(/not signed.*through the Firebreak API/);
      await expectUntouched(handle, activities, version);

      // The same decision through the signing client (as the API sends it) applies, and its audit entry names the key.
      const acked = await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: alice, decision: {} }] });
      expect(acked.phase).toBe('triage');
      const [entry] = activities.audit.filter((e) => e.entryKey.startsWith('decision:'));
      expect(entry).toMatchObject({ actor: 'alice', action: 'acknowledge', details: { signedWith: 'test-1' } });
    });
  });

  it.each([
    ['altered after signing', /does not verify/, async (h: WorkflowHandle, s: DecisionSigner, id: string) => ({ args: { principal: { ...alice, name: 'maria' }, decision: {}, signature: await s.sign(h.workflowId.slice('incident-'.length), 'acknowledge', id, { principal: alice, decision: {} }) }, updateId: id })],
    ['signed for another incident', /does not verify/, async (_h: WorkflowHandle, s: DecisionSigner, id: string) => ({ args: { principal: alice, decision: {}, signature: await s.sign('another-incident', 'acknowledge', id, { principal: alice, decision: {} }) }, updateId: id })],
    ['signed for another decision', /does not verify/, async (h: WorkflowHandle, s: DecisionSigner, id: string) => ({ args: { principal: alice, decision: {}, signature: await s.sign(h.workflowId.slice('incident-'.length), 'addNote', id, { principal: alice, decision: {} }) }, updateId: id })],
    ['replayed under another update id', /does not verify/, async (h: WorkflowHandle, s: DecisionSigner, id: string) => ({ args: { principal: alice, decision: {}, signature: await s.sign(h.workflowId.slice('incident-'.length), 'acknowledge', id, { principal: alice, decision: {} }) }, updateId: String(randomUUID()) })],
  ])('refuses a decision %s', async (_what, reason, forge) => {
    await withIncident(env, input(), async (handle, activities) => {
      const { version } = await handle.query(stateQuery);
      const { args, updateId } = await forge(handle, atServerTime(testSigner()), randomUUID());
      expect(await refusal(sendRaw(handle, args, updateId))).toMatch(reason);
      await expectUntouched(handle, activities, version);
    });
  });

  it.each([
    ['stale: issued six minutes before it arrived', testSigner(), -6 * 60_000, alice, /stale: issued at .* more than 5 minutes/],
    ['issued two minutes in the future', testSigner(), 2 * 60_000, alice, /in the future/],
    ['signed with a key the worker does not trust', testSigner('test-2'), 0, alice, /key test-2, which this worker does not trust/],
    ['validly signed, by a role that may not make it', testSigner(), 0, { keyId: 'k-aud', name: 'audrey', role: 'auditor' } as Principal, /the role auditor may not acknowledge \(responder or manager may\)/],
  ])('refuses a decision %s', async (_what, signer, offsetMs, principal, reason) => {
    await withIncident(env, input(), async (handle, activities) => {
      const { version } = await handle.query(stateQuery);
      const updateId = randomUUID();
      const signature = await atServerTime(signer, offsetMs).sign(handle.workflowId.slice('incident-'.length), 'acknowledge', updateId, { principal, decision: {} });
      expect(await refusal(sendRaw(handle, { principal, decision: {}, signature }, updateId))).toMatch(reason);
      await expectUntouched(handle, activities, version);
    });
  });

  it('rotates keys without restarting the incident, and replays decisions signed with a retired key', async () => {
    const activities = new RecordingActivities();
    const taskQueue = `rotation-${randomUUID()}`;
    const incident = input();
    const signedNote = async (signer: DecisionSigner, handle: WorkflowHandle, text: string) => {
      const updateId = randomUUID();
      const decided = { principal: alice, decision: { text } };
      const signature = await atServerTime(signer).sign(incident.incidentId, 'addNote', updateId, decided);
      return bare.workflow.getHandle(handle.workflowId).executeUpdate(addNoteUpdate, { args: [{ ...decided, signature }], updateId });
    };
    const during = async (keyIds: Array<'test-1' | 'test-2'>, body: () => Promise<void>) => {
      const worker = await createTestWorker(env, activities, { keyring: testKeyring(...keyIds), taskQueue, cacheless: true });
      await worker.runUntil(body);
    };

    const handle = await env.client.workflow.start('incidentWorkflow', { workflowId: `incident-${incident.incidentId}`, taskQueue, args: [incident] });
    try {
      // Before the rotation the workers trust test-1, which the API signs with.
      await during(['test-1'], async () => {
        expect((await signedNote(testSigner('test-1'), handle, 'signed with test-1')).recentNotes).toHaveLength(1);
      });
      // Rotation, step 1: workers restart trusting both keys; the incident runs on (same run).
      await during(['test-1', 'test-2'], async () => {
        expect((await signedNote(testSigner('test-2'), handle, 'signed with test-2')).recentNotes).toHaveLength(2);
      });
      // Step 2: the API signs with test-2 only, and workers drop test-1.
      await during(['test-2'], async () => {
        expect(await refusal(signedNote(testSigner('test-1'), handle, 'late, with test-1'))).toMatch(/key test-1, which this worker does not trust/);
        expect((await signedNote(testSigner('test-2'), handle, 'again with test-2')).recentNotes.map((note) => note.text)).toEqual(['signed with test-1', 'signed with test-2', 'again with test-2']);
      });
      const { runId } = await handle.describe();
      expect(runId).toBe(handle.firstExecutionRunId);

      // The history holds decisions signed with test-1; workflow code trusting test-2 alone replays it.
      const history = await handle.fetchHistory();
      await expect(Worker.runReplayHistory({ workflowBundle: await incidentWorkflowBundle(testKeyring('test-2')) }, history, handle.workflowId)).resolves.toBeUndefined();
    } finally {
      await handle.terminate('test finished').catch(() => undefined);
    }
  }, 180_000);
});
