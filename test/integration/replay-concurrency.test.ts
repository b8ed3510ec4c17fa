import { ReplayRequests, replayWorkflowIdFor } from '../../src/audit/replay-requests';
import { waitFor } from '../../src/net';
import { TemporalReachability } from '../../src/temporal/reachability';
import { workflowIdFor } from '../../src/temporal/contract';
import { replayConcurrencyFromEnvironment } from '../../src/worker/replay-worker';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

describe('the replay queue', () => {
  let stack: TestStack;
  let gate: TemporalReachability;
  const before = process.env.FIREBREAK_REPLAY_CONCURRENCY;
  beforeAll(async () => {
    process.env.FIREBREAK_REPLAY_CONCURRENCY = '1';
    stack = await startTestStack();
    gate = TemporalReachability.watch(testEnv('temporalAddress'));
  }, 60_000);
  afterAll(async () => {
    if (before === undefined) delete process.env.FIREBREAK_REPLAY_CONCURRENCY;
    else process.env.FIREBREAK_REPLAY_CONCURRENCY = before;
    await gate?.close();
    await stack?.close();
  });

  it('runs no more replays at once than FIREBREAK_REPLAY_CONCURRENCY allows, and the rest wait their turn', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const opened = await stack.request('POST', '/v1/alerts', {
        key: stack.keys.integration,
        body: { source: 'ids', sourceRef: uniqueKey('cap'), title: 'Port scan', severity: 'low', dedupKey: uniqueKey('cap') },
      });
      ids.push(opened.body.incidentId);
    }
    const replays = new ReplayRequests(stack.temporal, gate, { taskQueue: stack.taskQueue, answerWithinMs: 0 });
    const started = await Promise.all(ids.map((id) => replays.request(id)));

    let mostAtOnce = 0;
    let sawOneWaiting = false;
    await waitFor('every verdict', async () => {
      const states = await Promise.all(
        ids.map(async (id, i) => (await stack.temporal.workflow.getHandle(replayWorkflowIdFor(id), started[i]!.replayId).describe()).raw.pendingActivities?.[0]?.state),
      );
      const running = states.filter((s) => String(s).endsWith('STARTED') || s === 2).length;
      mostAtOnce = Math.max(mostAtOnce, running);
      if (running === 1 && states.some((s) => String(s).endsWith('SCHEDULED') || s === 1)) sawOneWaiting = true;
      const outcomes = await Promise.all(ids.map((id, i) => replays.status(id, started[i]!.replayId)));
      if (outcomes.some((o) => o?.status !== 'done')) throw new Error('not yet');
    }, 60_000, 20);
    expect(mostAtOnce).toBeLessThanOrEqual(1);
    expect(sawOneWaiting).toBe(true);
    for (const id of ids) await stack.temporal.workflow.getHandle(workflowIdFor(id)).terminate('test finished');
  });

  it('refuses a concurrency that is not a whole number of at least 1, naming the variable', () => {
    expect(replayConcurrencyFromEnvironment({})).toBe(2);
    expect(replayConcurrencyFromEnvironment({ FIREBREAK_REPLAY_CONCURRENCY: '4' })).toBe(4);
    for (const bad of ['0', '1.5', 'many']) {
      expect(() => replayConcurrencyFromEnvironment({ FIREBREAK_REPLAY_CONCURRENCY: bad })).toThrow(/^FIREBREAK_REPLAY_CONCURRENCY: /);
    }
  });
});
