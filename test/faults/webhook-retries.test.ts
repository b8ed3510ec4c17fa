import { webhookAdapters } from '../../src/adapters/webhook';
import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { ActionReceiver, type Delivery } from './support/action-receiver';

const SECRET = 'fault-suite-webhook-secret';
/** Firebreak is mid-rotation: it signs with a new secret and the one the receiver still holds. */
const ROTATING = `2026-12:whsec_${Buffer.alloc(32, 7).toString('base64')},2026-06:${SECRET}`;

describe('a containment webhook that fails, then times out, then succeeds', () => {
  let receiver: ActionReceiver;
  let stack: TestStack;
  beforeAll(async () => {
    receiver = await new ActionReceiver(SECRET).start();
    // A short time-out keeps the scenario quick; the retry policy is the workflow's own.
    stack = await startTestStack({ adapters: { containment: webhookAdapters.containment({ url: receiver.url, secret: ROTATING, timeoutMs: 2_000 }) } });
  });
  afterAll(async () => {
    await stack?.close();
    await receiver?.close();
  });

  it('delivers the action once and shows the retries in the timeline', async () => {
    const host = { kind: 'host', id: uniqueKey('web') };
    receiver.script((key) => key.startsWith('contain:'), ['fail-500', 'hang', 'apply']);
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: { source: 'waf', sourceRef: uniqueKey('evt'), title: 'Web shell uploaded', severity: 'critical', dedupKey: uniqueKey('hook'), assets: [host] } });
    const id = opened.body.incidentId;
    await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} });
    await stack.request('POST', `/v1/incidents/${id}/assessment`, { key: stack.keys.manager, body: { severity: 'critical', category: 'intrusion', strategy: 'contain_first', externalAssistance: false } });

    await waitFor('the review phase', async () => {
      const state = (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.auditor })).body;
      if (state.phase !== 'review') throw new Error(state.phase);
    }, 45_000, 250);

    const isolation = receiver.deliveries.filter((d) => d.action === 'isolate_host');
    expect(isolation.map((d) => d.behaviour)).toEqual(['fail-500', 'hang', 'apply']);
    // Every attempt was signed (the receiver, holding only the older secret, checks each) under the same webhook-id.
    expect(receiver.unverified).toBe(0);
    expect(isolation.map((d) => d.webhookId)).toEqual(isolation.map((d) => d.idempotencyKey));
    const [failed, timedOut, delivered] = isolation as [Delivery, Delivery, Delivery];
    expect(new Set(isolation.map((d) => d.idempotencyKey))).toEqual(new Set([delivered.idempotencyKey]));
    expect(receiver.applied.filter((k) => k === delivered.idempotencyKey)).toHaveLength(1);
    // Backoff between attempts: about 2 s after the 500, and 4 s after the 2 s time-out.
    expect(timedOut.at - failed.at).toBeGreaterThanOrEqual(1_500);
    expect(delivered.at - timedOut.at).toBeGreaterThanOrEqual(5_000);

    const timeline = await stack.request('GET', `/v1/incidents/${id}/timeline`, { key: stack.keys.auditor });
    const stage = timeline.body.items.filter((i: any) => i.kind === 'stage' && i.action === 'isolate_host');
    expect(stage).toEqual([
      expect.objectContaining({ outcome: 'completed', details: expect.objectContaining({ attempts: 3, lastRetriedFailure: expect.stringMatching(/time|abort/i) }) }),
    ]);
  });
});
