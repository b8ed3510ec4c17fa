import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookAdapters } from '../../src/adapters/webhook';
import { parseWebhookSecrets, webhookSignatureHeaders } from '../../src/adapters/webhook-signing';
import { createWebhookVerifier, type WebhookVerdict } from '../../src/adapters/webhook-verifier';

const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
const body = JSON.stringify({ kind: 'asset_action', idempotencyKey: 'contain:i1:host:h1:isolate_host', action: 'isolate_host' });
const sign = (secrets: string, at = new Date(), id = 'contain:i1:host:h1:isolate_host', payload = body) =>
  webhookSignatureHeaders(parseWebhookSecrets('SENDER', secrets), id, payload, at);

describe('the webhook verifier for receivers', () => {
  const current = whsec();
  const verifier = createWebhookVerifier(`2026-06:${current}`);

  it('accepts a request signed with its secret, naming the key that matched, the id and the timestamp', () => {
    const at = new Date();
    expect(verifier.verify(body, sign(`k:${current}`, at))).toEqual({ verified: true, keyId: '2026-06', id: 'contain:i1:host:h1:isolate_host', timestamp: Math.floor(at.getTime() / 1000) });
    // The raw body as a Buffer, headers as fetch's Headers or in any case.
    expect(verifier.verify(Buffer.from(body), new Headers(sign(`k:${current}`)))).toMatchObject({ verified: true });
    const upper = Object.fromEntries(Object.entries(sign(`k:${current}`)).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifier.verify(body, upper)).toMatchObject({ verified: true });
  });

  it('refuses a tampered body, a changed id and another secret', () => {
    const headers = sign(`k:${current}`);
    expect(verifier.verify(body.replace('isolate_host', 'restore_host'), headers)).toEqual({ verified: false, reason: 'no matching signature' });
    expect(verifier.verify(body, { ...headers, 'webhook-id': 'contain:i1:host:h2:isolate_host' })).toEqual({ verified: false, reason: 'no matching signature' });
    expect(verifier.verify(body, sign(`k:${whsec()}`))).toEqual({ verified: false, reason: 'no matching signature' });
    // A signature of the right length that is not the right one.
    expect(verifier.verify(body, { ...headers, 'webhook-signature': `v1,${randomBytes(32).toString('base64')}` })).toEqual({ verified: false, reason: 'no matching signature' });
    // Another scheme's version tag is ignored.
    expect(verifier.verify(body, { ...headers, 'webhook-signature': headers['webhook-signature']!.replace('v1,', 'v1a,') })).toEqual({ verified: false, reason: 'no matching signature' });
  });

  it('refuses a timestamp more than 5 minutes old or ahead, even correctly signed', () => {
    const ago = (seconds: number) => new Date(Date.now() - seconds * 1000);
    expect(verifier.verify(body, sign(`k:${current}`, ago(4 * 60 + 50)))).toMatchObject({ verified: true });
    expect(verifier.verify(body, sign(`k:${current}`, ago(5 * 60 + 10)))).toEqual({ verified: false, reason: 'timestamp too old' });
    expect(verifier.verify(body, sign(`k:${current}`, ago(-(5 * 60 + 10))))).toEqual({ verified: false, reason: 'timestamp too new' });
    expect(verifier.verify(body, { ...sign(`k:${current}`), 'webhook-timestamp': 'soon' })).toEqual({ verified: false, reason: 'invalid timestamp' });
  });

  it('refuses a request without the three headers', () => {
    const headers = sign(`k:${current}`);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      const without: Record<string, string> = { ...headers };
      delete without[name];
      expect(verifier.verify(body, without)).toEqual({ verified: false, reason: 'missing headers' });
    }
    // A header sent twice is not trusted.
    expect(verifier.verify(body, { ...headers, 'webhook-signature': [headers['webhook-signature']!, headers['webhook-signature']!] })).toEqual({ verified: false, reason: 'missing headers' });
  });

  it('accepts any of its secrets through a rotation, whichever the sender signs with', () => {
    const next = whsec();
    const rotating = createWebhookVerifier(`2026-12:${next},2026-06:${current}`);
    // Before: the sender still signs with the current secret only.
    expect(rotating.verify(body, sign(`a:${current}`))).toMatchObject({ verified: true, keyId: '2026-06' });
    // During: both sign.
    expect(rotating.verify(body, sign(`b:${next},a:${current}`))).toMatchObject({ verified: true, keyId: '2026-12' });
    expect(verifier.verify(body, sign(`b:${next},a:${current}`))).toMatchObject({ verified: true, keyId: '2026-06' });
    // After: the new one alone; a receiver that dropped the old secret still accepts, one that never added the new one does not.
    expect(rotating.verify(body, sign(`b:${next}`))).toMatchObject({ verified: true, keyId: '2026-12' });
    expect(createWebhookVerifier(`2026-12:${next}`).verify(body, sign(`b:${next}`))).toMatchObject({ verified: true });
    expect(verifier.verify(body, sign(`b:${next}`))).toEqual({ verified: false, reason: 'no matching signature' });
  });

  it('checks what the webhook adapter sends over HTTP, as a receiver does', async () => {
    const verdicts: WebhookVerdict[] = [];
    const receiving = createWebhookVerifier(`2026-06:${current}`);
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const verdict = receiving.verify(Buffer.concat(chunks), req.headers);
        verdicts.push(verdict);
        res.writeHead(verdict.verified ? 204 : 401).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/actions`;
    try {
      const action = { idempotencyKey: 'contain:i1:host:h1:isolate_host', incidentId: 'i1', asset: { kind: 'host' as const, id: 'h1' }, action: 'isolate_host' };
      await webhookAdapters.containment({ url, secret: `2026-12:${whsec()},2026-06:${current}` }).execute(action);
      await expect(webhookAdapters.containment({ url, secret: `x:${whsec()}` }).execute(action)).rejects.toThrow(/refused with 401/);
      expect(verdicts).toEqual([
        { verified: true, keyId: '2026-06', id: 'contain:i1:host:h1:isolate_host', timestamp: expect.any(Number) },
        { verified: false, reason: 'no matching signature' },
      ]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
