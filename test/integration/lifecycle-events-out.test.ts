import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP, type CloudEventV1 } from 'cloudevents';
import { httpEventSink } from '../../src/adapters/event-sink';
import { createWebhookVerifier } from '../../src/adapters/webhook-verifier';
import { EventOutbox } from '../../src/db/event-outbox';
import { LIFECYCLE_EVENT_TYPES as T } from '../../src/domain/lifecycle-events';
import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

type Event = CloudEventV1<Record<string, unknown>> & { incidentsequence: number };

interface Delivery {
  body: string;
  signed: boolean;
  /** The Standard Webhooks message id it was signed under. */
  webhookId?: string;
  contentType: string;
  event: Event;
  answered: number;
}

/**
 * A ticketing system's end of the event sink: it checks each signature, parses the CloudEvent,
 * keeps each id once, and answers what the test scripts for the n-th delivery of an event.
 */
class EventReceiver {
  readonly deliveries: Delivery[] = [];
  private readonly scripts: Array<{ match: (e: Event) => boolean; answers: number[] }> = [];
  private readonly server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const answered = this.answer(req.headers, body);
      res.writeHead(answered).end();
    });
  });
  url = '';

  private readonly verifier: ReturnType<typeof createWebhookVerifier>;

  constructor(readonly secret: string) {
    this.verifier = createWebhookVerifier(secret);
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/events`;
    return this;
  }

  /** The n-th delivery of a matching event is answered answers[n]; later ones 200. */
  script(match: (e: Event) => boolean, answers: number[]): void {
    this.scripts.push({ match, answers });
  }

  /** Each event once, by id, in the order first received: what a receiver that dedups keeps. */
  eventsOf(incidentId: string): Event[] {
    const seen = new Map<string, Event>();
    for (const d of this.deliveries) if (d.event.subject === incidentId && d.answered < 300 && !seen.has(d.event.id)) seen.set(d.event.id, d.event);
    return [...seen.values()];
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }

  private answer(headers: IncomingHttpHeaders, body: string): number {
    const verdict = this.verifier.verify(body, headers);
    const signed = verdict.verified;
    const event = HTTP.toEvent({ headers, body }) as Event;
    const nth = this.deliveries.filter((d) => d.event.id === event.id).length;
    const scripted = this.scripts.find((s) => s.match(event))?.answers[nth];
    const answered = !signed ? 401 : (scripted ?? 200);
    this.deliveries.push({ body, signed, webhookId: verdict.verified ? verdict.id : undefined, contentType: String(headers['content-type']), event, answered });
    return answered;
  }
}

describe('lifecycle events out to a CloudEvents sink', () => {
  const receiver = new EventReceiver('event-sink-secret-for-tests');
  let stack: TestStack;
  beforeAll(async () => {
    await receiver.start();
    stack = await startTestStack({ adapters: { eventSink: httpEventSink({ url: receiver.url, secret: receiver.secret }) } });
  });
  afterAll(async () => {
    await stack?.close();
    receiver.close();
  });

  const post = (path: string, body: unknown, key = stack.keys.manager) => stack.request('POST', path, { key, body });
  async function open(severity: string): Promise<string> {
    const res = await post('/v1/alerts', { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Credential dumping on web-01', severity, dedupKey: uniqueKey('events'), assets: [{ kind: 'host', id: uniqueKey('web') }] }, stack.keys.integration);
    expect(res.status).toBe(202);
    return res.body.incidentId;
  }
  const untilPhase = (id: string, phase: string) =>
    waitFor(`phase ${phase}`, async () => {
      const state = (await stack.request('GET', `/v1/incidents/${id}`, { key: stack.keys.manager })).body;
      if (state.phase !== phase) throw new Error(`still ${state.phase}`);
    }, 30_000, 100);
  const received = (id: string, count: number) =>
    waitFor(`${count} events of ${id}`, async () => {
      const events = receiver.eventsOf(id);
      if (events.length < count) throw new Error(`${events.length} so far: ${events.map((e) => e.type).join(', ')}`);
      return events;
    }, 30_000, 100);

  it('sends every step of a SEV1 to closed, signed, once per id, numbered 1..n in order, and redelivers a 503 under the same id', async () => {
    const id = await open('critical');
    // The sink fails the acknowledgement's first delivery: it must come again, unchanged.
    receiver.script((e) => e.subject === id && e.type === T.acknowledged, [503]);

    expect((await post(`/v1/incidents/${id}/acknowledge`, {})).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/escalations`, { reason: 'customer data involved' })).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/regimes`, { regime: 'gdpr_art33', startedAt: new Date(Date.now() - 3_600_000).toISOString() })).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/filings`, { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-2026-118' })).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, { severity: 'critical', category: 'credential-theft', strategy: 'contain_first', externalAssistance: false })).status).toBe(200);
    await untilPhase(id, 'review');
    expect((await post(`/v1/incidents/${id}/review`, { lessons: 'EDR exclusions hid the dropper', actionItems: [] })).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/close`, { resolution: 'resolved', summary: 'host rebuilt' })).status).toBe(200);

    const events = await received(id, 9);
    expect(events.map((e) => [e.type, e.data?.phase])).toEqual([
      [T.opened, 'detected'],
      [T.acknowledged, undefined],
      [T.phaseChanged, 'triage'],
      [T.escalated, undefined],
      [T.filingRecorded, undefined],
      [T.phaseChanged, 'response'],
      [T.containmentAction, undefined],
      [T.phaseChanged, 'review'],
      [T.closed, 'closed'],
    ]);
    expect(events.map((e) => e.incidentsequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const e of events) expect(e).toMatchObject({ specversion: '1.0', source: 'urn:firebreak:incidents', subject: id, datacontenttype: 'application/json' });
    expect(events[1]!.data).toEqual({ by: { name: 'test-manager', role: 'manager' } });
    expect(events[3]!.data).toMatchObject({ level: 1, cause: 'manual', reason: 'customer data involved', by: { name: 'test-manager' } });
    expect(events[4]!.data).toMatchObject({ regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-2026-118' });
    expect(events[6]!.data).toMatchObject({ action: 'isolate_host', status: 'done' });
    expect(events[8]!.data).toMatchObject({ resolution: 'resolved', summary: 'host rebuilt', by: { name: 'test-manager' } });
    expect(new Set(events.map((e) => e.id)).size).toBe(9);

    const mine = receiver.deliveries.filter((d) => d.event.subject === id);
    expect(mine.every((d) => d.signed && d.contentType.startsWith('application/cloudevents+json'))).toBe(true);
    // Signed as Standard Webhooks says, under the event's id: a redelivery is the same message.
    expect(mine.every((d) => d.webhookId === d.event.id)).toBe(true);
    // The refused delivery came again with the same id and the very same body; nothing else was sent twice.
    const ack = mine.filter((d) => d.event.type === T.acknowledged);
    expect(ack.map((d) => d.answered)).toEqual([503, 200]);
    expect(ack[1]!.body).toBe(ack[0]!.body);
    expect(mine).toHaveLength(10);

    const outbox = await waitFor('every row delivered', async () => {
      const rows = await new EventOutbox(stack.db.pool).forIncident(id);
      if (rows.some((r) => r.status !== 'delivered')) throw new Error(rows.map((r) => r.status).join(', '));
      return rows;
    }, 10_000, 100);
    expect(outbox.map((r) => [r.sequence, r.id])).toEqual(events.map((e) => [e.incidentsequence, e.id]));
    expect(outbox.find((r) => r.type === T.acknowledged)).toMatchObject({ attempts: 2, lastError: expect.stringMatching(/503/) });
  });

  it('tells a dismissal with its reason, numbered from 1 for its own incident', async () => {
    const id = await open('low');
    expect((await post(`/v1/incidents/${id}/acknowledge`, {})).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, { severity: 'low', category: 'scan', strategy: 'contain_first', externalAssistance: false, dismiss: { reason: 'authorised scanner' } })).status).toBe(200);
    const events = await received(id, 4);
    expect(events.map((e) => [e.incidentsequence, e.type])).toEqual([
      [1, T.opened],
      [2, T.acknowledged],
      [3, T.phaseChanged],
      [4, T.dismissed],
    ]);
    expect(events[3]!.data).toEqual({ phase: 'dismissed', severity: 'low', reason: 'authorised scanner', by: { name: 'test-manager', role: 'manager' } });
    expect(receiver.deliveries.filter((d) => d.event.subject === id).every((d) => d.signed)).toBe(true);
  });

  it('records a 4xx as refused, does not send that event again, and goes on with the next ones', async () => {
    const id = await open('medium');
    receiver.script((e) => e.subject === id && e.type === T.opened, [422]);
    expect((await post(`/v1/incidents/${id}/acknowledge`, {})).status).toBe(200);
    const events = await received(id, 2);
    expect(events.map((e) => [e.incidentsequence, e.type])).toEqual([
      [2, T.acknowledged],
      [3, T.phaseChanged],
    ]);
    const rows = await new EventOutbox(stack.db.pool).forIncident(id);
    expect(rows[0]).toMatchObject({ sequence: 1, type: T.opened, status: 'refused', attempts: 1, lastError: expect.stringMatching(/422/) });
    expect(receiver.deliveries.filter((d) => d.event.subject === id && d.event.type === T.opened)).toHaveLength(1);
  });
});

describe('lifecycle events with no sink configured', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps each event, numbered, and marks it skipped instead of sending it', async () => {
    const res = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Beacon to a known C2', severity: 'high', dedupKey: uniqueKey('nosink') } });
    const id = res.body.incidentId;
    expect((await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} })).status).toBe(200);
    const rows = await waitFor('three settled rows', async () => {
      const rows = await new EventOutbox(stack.db.pool).forIncident(id);
      if (rows.length < 3 || rows.some((r) => r.status === 'pending')) throw new Error(rows.map((r) => r.status).join(', '));
      return rows;
    }, 20_000, 100);
    expect(rows.map((r) => [r.sequence, r.type, r.status, r.attempts])).toEqual([
      [1, T.opened, 'skipped', 0],
      [2, T.acknowledged, 'skipped', 0],
      [3, T.phaseChanged, 'skipped', 0],
    ]);
  });
});
