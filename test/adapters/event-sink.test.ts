import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTP } from 'cloudevents';
import { httpEventSink } from '../../src/adapters/event-sink';
import { adaptersFromEnvironment } from '../../src/adapters/from-environment';
import { signature, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/adapters/webhook';
import { loadConfig } from '../../src/config';
import type { SequencedLifecycleEvent } from '../../src/domain/lifecycle-events';

/** A sink on loopback answering the scripted statuses in turn. */
async function sink(statuses: number[]): Promise<{ url: string; received: Array<{ headers: IncomingMessage['headers']; body: string }>; server: Server }> {
  const received: Array<{ headers: IncomingMessage['headers']; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(statuses[received.length - 1] ?? 200).end('nope');
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
  it('sends a signed structured-mode CloudEvent with the incident as subject and its sequence number', async () => {
    const s = await sink([202]);
    try {
      expect(await httpEventSink({ url: s.url, secret }).deliver(event)).toEqual({ outcome: 'delivered' });
      const [req] = s.received;
      const timestamp = String(req!.headers[TIMESTAMP_HEADER.toLowerCase()]);
      expect(req!.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signature(secret, timestamp, req!.body));
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

  it('is configured by EVENT_SINK_URL and EVENT_SINK_SECRET, refusing a URL without a secret by name', () => {
    const env = { DATABASE_URL: 'postgres://localhost/x' };
    expect(loadConfig(env).eventSink).toBeUndefined();
    expect(loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: secret }).eventSink).toEqual({ url: 'https://siem.example/events', secret });
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events' })).toThrow(/EVENT_SINK_SECRET/);
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: 'short' })).toThrow(/EVENT_SINK_SECRET/);
    expect(() => loadConfig({ ...env, EVENT_SINK_URL: 'ftp://siem.example/events', EVENT_SINK_SECRET: secret })).toThrow(/EVENT_SINK_URL/);
    const pool = {} as never;
    expect(adaptersFromEnvironment(pool, {}).eventSink).toBeUndefined();
    expect(adaptersFromEnvironment(pool, { EVENT_SINK_URL: 'https://siem.example/events', EVENT_SINK_SECRET: secret }).eventSink).toBeDefined();
    expect(() => adaptersFromEnvironment(pool, { EVENT_SINK_URL: 'https://siem.example/events' })).toThrow(/EVENT_SINK_SECRET/);
  });
});
