import pino from 'pino';
import { startApi } from '../../src/api/api-service';
import { replayTaskQueueFor, replayWorkflowIdFor } from '../../src/audit/replay-requests';
import { waitFor } from '../../src/net';
import { workflowIdFor } from '../../src/temporal/contract';
import { testEnv } from '../support/servers';
import { httpRequest, startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { TEST_PAYLOAD_CODEC } from '../support/payload-keys';

/** The API service itself, on the stack's database and queue; `answerWithinMs` is how long a request waits for the verdict before answering 202. */
async function replayingApi(stack: TestStack, answerWithinMs: number) {
  const api = await startApi({
    pool: stack.db.pool,
    temporalAddress: testEnv('temporalAddress'),
    temporalNamespace: 'default',
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    taskQueue: stack.taskQueue,
    replayAnswerWithinMs: answerWithinMs,
    // The stack's worker encrypts what it writes, replay verdicts included: this API reads them with the same key.
    payloadCodec: TEST_PAYLOAD_CODEC,
  });
  return {
    request: (method: string, path: string, body?: unknown) => httpRequest(api.url, method, path, { key: stack.keys.auditor, body }),
    close: () => api.close(),
  };
}

describe('replay over HTTP', () => {
  let stack: TestStack;
  let quick: Awaited<ReturnType<typeof replayingApi>>;
  let slow: Awaited<ReturnType<typeof replayingApi>>;
  beforeAll(async () => {
    stack = await startTestStack();
    quick = await replayingApi(stack, 60_000);
    slow = await replayingApi(stack, 0); // every replay counts as slow: the 202 path
  }, 60_000);
  afterAll(async () => {
    await quick?.close();
    await slow?.close();
    await stack?.close();
  });

  async function openIncident(): Promise<string> {
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'ids', sourceRef: uniqueKey('replay'), title: 'Port scan from 203.0.113.9', severity: 'low', dedupKey: uniqueKey('replay') },
    });
    expect(opened.status).toBe(202);
    return opened.body.incidentId;
  }

  async function dismissedIncident(): Promise<string> {
    const id = await openIncident();
    expect((await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} })).status).toBe(200);
    const dismissed = await stack.request('POST', `/v1/incidents/${id}/assessment`, {
      key: stack.keys.manager,
      body: { severity: 'low', category: 'reconnaissance', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'the weekly authorised scan' } },
    });
    expect(dismissed.status).toBe(200);
    await waitFor('the run to close', async () => {
      if ((await stack.temporal.workflow.getHandle(workflowIdFor(id)).describe()).status.name === 'RUNNING') throw new Error('still running');
    }, 20_000, 100);
    return id;
  }

  it('answers 200 with the verdict when the replay is quick, and gives a closed incident’s verdict again without replaying', async () => {
    const id = await dismissedIncident();
    const first = await quick.request('POST', `/v1/incidents/${id}/replay`, {});
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ incidentId: id, source: 'temporal', runs: [{ replayed: true }], workflowCode: expect.stringMatching(/^[0-9a-f]{12}$/) });
    const again = await quick.request('POST', `/v1/incidents/${id}/replay`, {});
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body); // the same replayedAt: the verdict was kept, not reached again
  });

  it('answers 202 with a Location that gives the verdict once the replay is done', async () => {
    const id = await dismissedIncident();
    const accepted = await slow.request('POST', `/v1/incidents/${id}/replay`, {});
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ incidentId: id, replayId: expect.any(String), status: 'running' });
    expect(accepted.headers.get('location')).toBe(`/v1/incidents/${id}/replays/${accepted.body.replayId}`);
    expect(Number(accepted.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    let verdict = await slow.request('GET', accepted.headers.get('location')!);
    for (let i = 0; verdict.status === 202 && i < 100; i++) {
      expect(verdict.body).toEqual(accepted.body);
      await new Promise((resolve) => setTimeout(resolve, 200));
      verdict = await slow.request('GET', accepted.headers.get('location')!);
    }
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ incidentId: id, runs: [{ replayed: true }] });
  });

  it('shares one replay between requests for the same incident made while it runs, and replays a running incident', async () => {
    const id = await openIncident();
    await waitFor('the first workflow task', async () => {
      const history = await stack.request('GET', `/v1/incidents/${id}/history`, { key: stack.keys.auditor });
      if (!JSON.stringify(history.body).includes('WORKFLOW_TASK_COMPLETED')) throw new Error('not yet');
    }, 20_000, 100);
    const [a, b] = await Promise.all([slow.request('POST', `/v1/incidents/${id}/replay`, {}), slow.request('POST', `/v1/incidents/${id}/replay`, {})]);
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(b.body.replayId).toBe(a.body.replayId);

    await waitFor('the verdict', async () => {
      const verdict = await slow.request('GET', a.headers.get('location')!);
      if (verdict.status !== 200) throw new Error(`${verdict.status}`);
      expect(verdict.body.runs).toEqual([{ runId: expect.any(String), replayed: true }]);
    }, 60_000, 200);
    // The replay ran on the replay queue, not the incidents' one.
    const replayHistory = await stack.temporal.workflow.getHandle(replayWorkflowIdFor(id), a.body.replayId).fetchHistory();
    const scheduled = replayHistory.events?.find((e) => e.activityTaskScheduledEventAttributes)?.activityTaskScheduledEventAttributes;
    expect(scheduled?.taskQueue?.name).toBe(replayTaskQueueFor(stack.taskQueue));
    await stack.temporal.workflow.getHandle(workflowIdFor(id)).terminate('test finished');
  });

  it('answers 404 for a replay that does not exist, whatever the id looks like', async () => {
    const id = await openIncident();
    expect((await slow.request('GET', `/v1/incidents/${id}/replays/01a2383a-d2ba-7012-a3c1-b576dd06e1da`)).status).toBe(404);
    const malformed = await slow.request('GET', `/v1/incidents/${id}/replays/not-a-replay`);
    expect(malformed.status).toBe(404);
    expect(malformed.body.errors).toEqual([{ field: 'replayId', message: expect.any(String) }]);
    expect((await slow.request('POST', '/v1/incidents/0000000000000000/replay', {})).status).toBe(404);
    await stack.temporal.workflow.getHandle(workflowIdFor(id)).terminate('test finished');
  });
});
