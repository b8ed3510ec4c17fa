import { createHmac, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { postAction, signedEndpoint, webhookAdapters } from '../../src/adapters/webhook';
import { parseWebhookSecrets } from '../../src/adapters/webhook-signing';
import { createWebhookVerifier } from '../../src/adapters/webhook-verifier';

interface Received {
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on loopback; `answer` replies to each request (by default the scripted statuses in turn). */
async function receiver(statuses: number[], answer: unknown = { ok: true }, reply?: (req: Received, res: ServerResponse) => void): Promise<{ url: string; received: Received[]; server: Server; close: () => void }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { url: req.url, headers: req.headers, body };
      received.push(r);
      if (reply) return reply(r, res);
      const status = statuses[Math.min(received.length - 1, statuses.length - 1)] ?? 200;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status < 300 ? answer : { error: 'no' }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const close = () => {
    server.closeAllConnections();
    server.close();
  };
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received, server, close };
}

const secret = 'test-secret-of-sufficient-length';
const standardSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
/** The Standard Webhooks signature computed here, independently of the library: base64 HMAC-SHA256 of "<id>.<timestamp>.<body>". */
const expected = (key: Buffer, req: Received) =>
  'v1,' + createHmac('sha256', key).update(`${req.headers['webhook-id']}.${req.headers['webhook-timestamp']}.${req.body}`).digest('base64');
const action = { idempotencyKey: 'contain:i1:host:h1:isolate_host', incidentId: 'i1', asset: { kind: 'host' as const, id: 'h1' }, action: 'isolate_host' };

describe('the signed webhook adapter', () => {
  it('signs as Standard Webhooks says: webhook-id (the idempotency key), webhook-timestamp, v1 HMAC-SHA256 over "<id>.<timestamp>.<body>"', async () => {
    const whsec = standardSecret();
    const r = await receiver([200]);
    try {
      await webhookAdapters.containment({ url: r.url, secret: `k1:${whsec}` }).execute(action);
      const [req] = r.received;
      expect(req!.headers['webhook-id']).toBe('contain:i1:host:h1:isolate_host');
      expect(req!.headers['idempotency-key']).toBe('contain:i1:host:h1:isolate_host');
      expect(Math.abs(Number(req!.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
      expect(req!.headers['webhook-signature']).toBe(expected(Buffer.from(whsec.slice('whsec_'.length), 'base64'), req!));
      // Any Standard Webhooks library verifies it with the same whsec_ secret.
      expect(() => new Webhook(whsec).verify(req!.body, req!.headers as Record<string, string>)).not.toThrow();
      expect(() => new Webhook(standardSecret()).verify(req!.body, req!.headers as Record<string, string>)).toThrow(/No matching signature/);
      expect(JSON.parse(req!.body)).toMatchObject({ kind: 'asset_action', action: 'isolate_host', asset: { kind: 'host', id: 'h1' } });
      expect(req!.headers['x-firebreak-signature']).toBeUndefined();
    } finally {
      r.close();
    }
  });

  it('keeps a plain FIREBREAK_WEBHOOK_SECRET working: its UTF-8 bytes are the HMAC key', async () => {
    const r = await receiver([200]);
    try {
      await webhookAdapters.notifier({ url: r.url, secret }).send({ idempotencyKey: 'n1', incidentId: 'i1', recipient: 'on_call', subject: 's', body: 'b' });
      const [req] = r.received;
      expect(req!.headers['webhook-signature']).toBe(expected(Buffer.from(secret, 'utf8'), req!));
      expect(() => new Webhook(`whsec_${Buffer.from(secret).toString('base64')}`).verify(req!.body, req!.headers as Record<string, string>)).not.toThrow();
    } finally {
      r.close();
    }
  });

  it('signs with every configured secret during a rotation, so a receiver holding either one accepts', async () => {
    const [next, current] = [standardSecret(), standardSecret()];
    const r = await receiver([200]);
    try {
      await webhookAdapters.containment({ url: r.url, secret: `2026-12:${next}, 2026-06:${current}` }).execute(action);
      const [req] = r.received;
      const signatures = String(req!.headers['webhook-signature']).split(' ');
      expect(signatures).toEqual([expected(Buffer.from(next.slice(6), 'base64'), req!), expected(Buffer.from(current.slice(6), 'base64'), req!)]);
      expect(createWebhookVerifier(`old:${current}`).verify(req!.body, req!.headers)).toMatchObject({ verified: true, keyId: 'old' });
      expect(createWebhookVerifier(`new:${next}`).verify(req!.body, req!.headers)).toMatchObject({ verified: true, keyId: 'new' });
      expect(createWebhookVerifier(standardSecret()).verify(req!.body, req!.headers)).toEqual({ verified: false, reason: 'no matching signature' });
    } finally {
      r.close();
    }
  });

  it('raises a retryable error on 5xx and a non-retryable failure on 4xx', async () => {
    const r = await receiver([503, 422]);
    try {
      const first = await postAction({ url: r.url, secret }, 'notify', 'k1', {}).catch((e: unknown) => e);
      expect(first).toBeInstanceOf(Error);
      expect(first).not.toBeInstanceOf(ApplicationFailure);
      expect((first as Error).message).toMatch(/failed with 503/);
      const second = await postAction({ url: r.url, secret }, 'notify', 'k1', {}).catch((e: unknown) => e);
      expect(second).toBeInstanceOf(ApplicationFailure);
      expect((second as ApplicationFailure).nonRetryable).toBe(true);
      expect((second as ApplicationFailure).message).toMatch(/refused with 422/);
    } finally {
      r.close();
    }
  });

  it('does not follow a redirect: the signed request goes only to the configured URL, and the 3xx fails for good', async () => {
    for (const status of [301, 302, 307, 308]) {
      const r = await receiver([], {}, (req, res) => (req.url === '/elsewhere' ? res.writeHead(200).end('{}') : res.writeHead(status, { location: '/elsewhere' }).end()));
      try {
        const err = await webhookAdapters.containment({ url: r.url, secret }).execute(action).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ApplicationFailure);
        expect(err).toMatchObject({ nonRetryable: true, type: 'WebhookRefused', message: expect.stringContaining(`redirected (not followed) with ${status}`) });
        expect(r.received.map((q) => q.url)).toEqual(['/hook']);
      } finally {
        r.close();
      }
    }
  });

  it('reads at most the answer cap of an endless answer, then hangs up', async () => {
    let hungUp = false;
    let sent = 0;
    const chunk = Buffer.alloc(16 * 1024, 'x');
    const endless = (_req: Received, res: ServerResponse) => {
      res.on('close', () => (hungUp = true));
      res.writeHead(200, { 'content-type': 'application/json' });
      const more = () => {
        if (res.destroyed) return;
        sent += chunk.length;
        if (res.write(chunk)) setImmediate(more);
        else res.once('drain', more);
      };
      more();
    };
    const r = await receiver([], {}, endless);
    try {
      const request = { idempotencyKey: 'e1', incidentId: 'i1', asset: { kind: 'host' as const, id: 'h1' }, artifactType: 'memory' };
      const started = Date.now();
      const err = await webhookAdapters.forensics({ url: r.url, secret, maxAnswerBytes: 4_096 }).collect(request).catch((e: unknown) => e);
      expect(err).toMatchObject({ nonRetryable: true, type: 'WebhookBadAnswer', message: 'forensics webhook answered more than 4096 bytes' });
      expect(Date.now() - started).toBeLessThan(5_000);
      // An action that needs no answer succeeds all the same, without reading the rest.
      await expect(webhookAdapters.containment({ url: r.url, secret, maxAnswerBytes: 4_096 }).execute(action)).resolves.toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(hungUp).toBe(true);
      expect(sent).toBeLessThan(64 * 1024 * 1024);
    } finally {
      r.close();
    }
  });

  it('checks the forensics answer, refusing one without a SHA-256', async () => {
    const good = await receiver([200], { location: 's3://evidence/a', sha256: 'a'.repeat(64), sizeBytes: 42 });
    const bad = await receiver([200], { location: 's3://evidence/a' });
    const notJson = await receiver([], {}, (_req, res) => res.writeHead(200).end('stored'));
    try {
      const request = { idempotencyKey: 'e1', incidentId: 'i1', asset: { kind: 'host' as const, id: 'h1' }, artifactType: 'memory' };
      await expect(webhookAdapters.forensics({ url: good.url, secret }).collect(request)).resolves.toEqual({ location: 's3://evidence/a', sha256: 'a'.repeat(64), sizeBytes: 42 });
      await expect(webhookAdapters.forensics({ url: bad.url, secret }).collect(request)).rejects.toThrow(/without \{location, sha256, sizeBytes\}/);
      await expect(webhookAdapters.forensics({ url: notJson.url, secret }).collect(request)).rejects.toThrow(/other than JSON/);
    } finally {
      good.close();
      bad.close();
      notJson.close();
    }
  });

  it('requires https, except to a loopback host', () => {
    for (const url of ['https://soar.example.com/hooks', 'http://127.0.0.1:9000/x', 'http://127.8.0.1/x', 'http://localhost:8080/x', 'http://[::1]:8080/x']) {
      expect(signedEndpoint({ url, secret }).url).toBe(url);
    }
    for (const url of ['http://soar.example.com/hooks', 'http://10.0.0.5/hooks', 'http://127.0.0.1.nip.io/x', 'http://[::ffff:7f00:1]/x', 'ftp://soar.example.com/x', 'not a url']) {
      expect(() => signedEndpoint({ url, secret }, { url: 'FIREBREAK_NOTIFY_WEBHOOK_URL' })).toThrow(/^FIREBREAK_NOTIFY_WEBHOOK_URL must be an (absolute )?https URL/);
    }
  });
});

describe('webhook secrets', () => {
  it('reads one secret, or key ids with whsec_ or plain secrets, separated by commas', () => {
    expect(parseWebhookSecrets('V', secret)).toEqual([{ keyId: 'default', key: new Uint8Array(Buffer.from(secret)) }]);
    const whsec = standardSecret();
    expect(parseWebhookSecrets('V', `b:${whsec},a:${secret}`).map((s) => [s.keyId, Buffer.from(s.key).toString('base64')])).toEqual([
      ['b', whsec.slice(6)],
      ['a', Buffer.from(secret).toString('base64')],
    ]);
  });

  it('refuses a bad value naming the variable and the key id, never the secret', () => {
    const cases: Array<[string, RegExp]> = [
      ['short', /^V: secret "default" must have 16\+ bytes/],
      [`a:${secret},a:${secret}x`, /^V: key id "a" appears twice/],
      [`a:${secret},${secret}`, /^V: entry 2 must be <keyId>:<secret>/],
      ['k:whsec_not base64!', /^V: secret "k" starts with whsec_ but the rest is not base64/],
      [`k:whsec_${Buffer.from('too short').toString('base64')}`, /^V: secret "k" must have 16\+ bytes/],
    ];
    for (const [value, message] of cases) {
      let error: Error | undefined;
      try {
        parseWebhookSecrets('V', value);
      } catch (err) {
        error = err as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain(secret);
    }
  });
});
