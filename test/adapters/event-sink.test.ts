import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP } from 'cloudevents';
import { httpEventSink } from '../../src/adapters/event-sink';
import { adaptersFromEnvironment } from '../../src/adapters/from-environment';
import { createWebhookVerifier } from '../../src/adapters/webhook-verifier';
import { loadConfig } from '../../src/config';
import type { SequencedLifecycleEvent } from '../../src/domain/lifecycle-events';

/** A sink on loopback answering the scripted statuses in turn (a 3xx points elsewhere on it). */
async function sink(statuses: number[]): Promise<{ url: string; received: Array<{ url?: string; headers: IncomingMessage['headers']; body: string }>; server: Server }> {
  const received: Array<{ url?: string; headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url, headers: req.headers, body });
      const status = statuses[received.length - 1] ?? 200;
      res.writeHead(status, status >= 300 && status < 400 ? { location: '/moved' } : {}).end('nope');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`, received, server };
}

const secret = 'event-sink-secret-of-length';
const event: SequencedLifecycleEvent = {
  id: '0b5f3c2e-1a2b-8c3d-9e4f-001122334455',
  type: 'org.firebreak.incident.acknowledged',
  incidentId: 'inc-1',
  time: '2026-11-25T10:00:00.000Z',
  entryKey: 'decision:u1',
  data: { by: { name: 'dana', role: 'manager' } },
  sequence: 2,
};

describe('the CloudEvents event sink', () => {
  it('sends a structured-mode CloudEvent with the incident as subject and its sequence number, signed under the event id', async () => {
    const s = await sink([202]);
    try {
      expect(await httpEventSink({ url: s.url, secret }).deliver(event)).toEqual({ outcome: 'delivered' });
      const [req] = s.received;
      expect(createWebhookVerifier(secret).verify(req!.body, req!.headers)).toMatchObject({ verified: true, id: event.id });
      expect(createWebhookVerifier('another-secret-of-some-length').verify(req!.body, req!.headers)).toMatchObject({ verified: false });
      expect(req!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
      const parsed = HTTP.toEvent({ headers: req!.headers, body: req!.body });
      expect(parsed).toMatchObject({ specversion: '1.0', id: event.id, type: event.type, subject: 'inc-1', time: event.time, incidentsequence: 2, data: event.data });
    } finally {
      s.server.close();
    }
  });

  it('reports a 4xx as refused for good, and throws on a 5xx, a 429 or a 408 so the event is sent again', async () => {
    const s = await sink([422, 503, 429, 408]);
    try {
      const target = httpEventSink({ url: s.url, secret });
      expect(await target.deliver(event)).toMatchObject({ outcome: 'refused', status: 422 });
      await expect(target.deliver(event)).rejects.toThrow(/503/);
      await expect(target.deliver(event)).rejects.toThrow(/429/);
      await expect(target.deliver(event)).rejects.toThrow(/408/);
    } finally {
      s.server.close();
    }
  });

  it('does not follow a redirect: the event is held and sent again to the configured URL', async () => {
    const s = await sink([308, 302, 202]);
    try {
      const target = httpEventSink({ url: s.url, secret });
      await expect(target.deliver(event)).rejects.toThrow('event sink answered 308 (a redirect is not followed; fix EVENT_SINK_URL)');
      await expect(target.deliver(event)).rejects.toThrow(/302/);
      expect(await target.deliver(event)).toEqual({ outcome: 'delivered' });
      expect(s.received.map((r) => r.url)).toEqual(['/events', '/events', '/events']);
    } finally {
      s.server.close();
    }
  });

  it('is configured by EVENT_SINK_URL and EVENT_SINK_SECRET, refusing a URL without a secret by name', () => {
    const env = { DATABASE_URL: 'postgres://localhost/x' };
    expect(loadConfig(env).eventSink).toBeUndefined();
    expect(loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: secret }).eventSink).toEqual({ url: 'https://siem.example/events', secret });
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events' })).toThrow(/EVENT_SINK_SECRET/);
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: 'short' })).toThrow(/EVENT_SINK_SECRET/);
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'ftp://siem.example/events', EVENT_SINK_SECRET: secret })).toThrow(/EVENT_SINK_URL/);
    // Plain http only to this machine.
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'http://siem.example/events', EVENT_SINK_SECRET: secret })).toThrow(/EVENT_SINK_URL must be an https URL \(plain http only to a loopback host/);
    expect(loadConfig({ ...env, EVENT_SINK_URL: 'http://127.0.0.1:9000/events', EVENT_SINK_SECRET: secret }).eventSink?.url).toBe('http://127.0.0.1:9000/events');
    // Key ids and two secrets during a rotation; a bad list is named, its secrets are not.
    const rotating = `2026-12:whsec_${Buffer.alloc(32, 1).toString('base64')},2026-06:${secret}`;
    expect(loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: rotating }).eventSink?.secret).toBe(rotating);
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: `a:${secret},a:${secret}` })).toThrow(/EVENT_SINK_SECRET: key id "a" appears twice/);
    const pool = {} as never;
    expect(adaptersFromEnvironment(pool, {}).eventSink).toBeUndefined();
    expect(adaptersFromEnvironment(pool, { EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: secret }).eventSink).toBeDefined();
    expect(() => adaptersFromEnvironment(pool, { EVENT_SINK_URL: 'https://siem.example/events' })).toThrow(/EVENT_SINK_SECRET/);
    expect(() => adaptersFromEnvironment(pool, { EVENT_SINK_URL: 'http://siem.example/events', EVENT_SINK_SECRET: secret })).toThrow(/EVENT_SINK_URL must be an https URL/);
  });
});
