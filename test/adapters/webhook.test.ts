import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { postAction, signature, SIGNATURE_HEADER, TIMESTAMP_HEADER, webhookAdapters } from '../../src/adapters/webhook';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on loopback that answers with the scripted statuses in turn. */
async function receiver(statuses: number[], answer: unknown = { ok: true }): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status < 300 ? answer : { error: 'no' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server };
}

const secret = 'test-secret-of-sufficient-length';

describe('the signed webhook adapter', () => {
  it('signs timestamp and body with HMAC-SHA256 and sends the idempotency key', async () => {
    const r = await receiver([200]);
    try {
      await webhookAdapters.containment({ url: r.url, secret }).execute({ idempotencyKey: 'contain:i1:host:h1:isolate_host', incidentId: 'i1', asset: { kind: 'host', id: 'h1' }, action: 'isolate_host' });
      const [req] = r.received;
      const timestamp = String(req!.headers[TIMESTAMP_HEADER.toLowerCase()]);
      expect(req!.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(signature(secret, timestamp, req!.body));
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
      expect(req!.headers['idempotency-key']).toBe('contain:i1:host:h1:isolate_host');
      expect(JSON.parse(req!.body)).toMatchObject({ kind: 'asset_action', action: 'isolate_host', asset: { kind: 'host', id: 'h1' } });
      // A different secret gives a different signature.
      expect(signature('another-secret-value', timestamp, req!.body)).not.toBe(req!.headers[SIGNATURE_HEADER.toLowerCase()]);
    } finally {
      r.server.close();
    }
  });

  it('raises a retryable error on 5xx and a non-retryable failure on 4xx', async () => {
    const r = await receiver([503, 422]);
    try {
      const first = await postAction({ url: r.url, secret }, 'notify', 'k1', {}).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(Error);
      expect(first).not.toBeInstanceOf(ApplicationFailure);
      const second = await postAction({ url: r.url, secret }, 'notify', 'k1', {}).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(ApplicationFailure);
      expect((second as ApplicationFailure).nonRetryable).toBe(true);
      expect((second as ApplicationFailure).message).toMatch(/refused with 422/);
    } finally {
      r.server.close();
    }
  });

  it('checks the forensics answer, refusing one without a SHA-256', async () => {
    const good = await receiver([200], { location: 's3://evidence/a', sha256: 'a'.repeat(64), sizeBytes: 42 });
    const bad = await receiver([200], { location: 's3://evidence/a' });
    try {
      const request = { idempotencyKey: 'e1', incidentId: 'i1', asset: { kind: 'host' as const, id: 'h1' }, artifactType: 'memory' };
      await expect(webhookAdapters.forensics({ url: good.url, secret }).collect(request)).resolves.toEqual({ location: 's3://evidence/a', sha256: 'a'.repeat(64), sizeBytes: 42 });
      await expect(webhookAdapters.forensics({ url: bad.url, secret }).collect(request)).rejects.toThrow(/without \{location, sha256, sizeBytes\}/);
    } finally {
      good.server.close();
      bad.server.close();
    }
  });
});
