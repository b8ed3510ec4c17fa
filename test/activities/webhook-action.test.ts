import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { freePort } from '../../src/net';
import { ANSWER_KEPT_BYTES, createWebhookActionActivities, type WebhookActionRequest } from '../../src/activities/webhook-action';
import { parseWebhookSecrets, type WebhookSecret } from '../../src/adapters/webhook-signing';
import { createWebhookVerifier } from '../../src/adapters/webhook-verifier';

const secret = 'playbook-webhook-secret-0123456789';

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A receiver on loopback; `answer` decides each reply (or none, to let the caller time out). */
async function receiver(answer: (req: Received, res: ServerResponse) => void) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const r = { method: req.method, url: req.url, headers: req.headers, body };
      received.push(r);
      answer(r, res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${base}/hooks/block`,
    base,
    received,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

const reply = (status: number, body: unknown = { ok: status < 300 }, headers: Record<string, string> = {}) => (_req: Received, res: ServerResponse) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(typeof body === 'string' ? body : JSON.stringify(body));

/** What a receiver does with the verifier Firebreak ships (Standard Webhooks headers, 5-minute tolerance). */
function verified(key: string, headers: IncomingMessage['headers'], rawBody: string): boolean {
  return createWebhookVerifier(key).verify(rawBody, headers).verified;
}

const request = (url: string, extra: Partial<WebhookActionRequest> = {}): WebhookActionRequest => ({
  incidentId: 'inc-42',
  stepId: 'block_sender',
  url,
  params: { sender: 'evil@example.net', list: 'mail-gw-deny' },
  attempt: 1,
  ...extra,
});

async function call(req: WebhookActionRequest, deps: { secrets?: WebhookSecret[]; timeoutMs?: number } = {}) {
  const activities = createWebhookActionActivities({ secrets: 'secrets' in deps ? deps.secrets : parseWebhookSecrets('FIREBREAK_PLAYBOOK_WEBHOOK_SECRET', secret), timeoutMs: deps.timeoutMs });
  return new MockActivityEnvironment().run(activities.callWebhook, req);
}

async function failure(req: WebhookActionRequest, deps: { secrets?: WebhookSecret[]; timeoutMs?: number } = {}): Promise<ApplicationFailure> {
  const err = await call(req, deps).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('the playbook webhook action', () => {
  it('POSTs the incident, step and parameters as JSON, signed so the receiver can verify it', async () => {
    const r = await receiver(reply(200, { ticket: 'CHG-1234' }));
    try {
      const result = await call(request(r.url, { attempt: 3 }));
      expect(result).toEqual({ status: 200, answer: { ticket: 'CHG-1234' } });
      const [req] = r.received;
      expect(req!.method).toBe('POST');
      expect(req!.url).toBe('/hooks/block');
      expect(req!.headers['content-type']).toBe('application/json');
      expect(JSON.parse(req!.body)).toEqual({ incidentId: 'inc-42', stepId: 'block_sender', params: { sender: 'evil@example.net', list: 'mail-gw-deny' } });
      expect(verified(secret, req!.headers, req!.body)).toBe(true);
      expect(verified('some-other-secret-entirely', req!.headers, req!.body)).toBe(false);
      expect(verified(secret, req!.headers, req!.body.replace('mail-gw-deny', 'allow-list'))).toBe(false);
      expect(req!.headers['x-firebreak-attempt']).toBe('3');
      expect(req!.headers['webhook-id']).toBe('inc-42:block_sender:3');
    } finally {
      r.close();
    }
  });

  it('sends one Idempotency-Key, <incident>:<step>:<start>, for every retry of one start of the step', async () => {
    const r = await receiver(reply(204, ''));
    try {
      expect(await call(request(r.url, { attempt: 1 }))).toEqual({ status: 204 });
      await call(request(r.url, { attempt: 1 }));
      await call(request(r.url, { attempt: 2 }));
      expect(r.received.map((q) => q.headers['idempotency-key'])).toEqual(['inc-42:block_sender:1', 'inc-42:block_sender:1', 'inc-42:block_sender:2']);
    } finally {
      r.close();
    }
  });

  it('keeps no answer that is not a small JSON object', async () => {
    const big = { blob: 'x'.repeat(ANSWER_KEPT_BYTES) };
    for (const body of ['accepted', '[1,2]', JSON.stringify(big)]) {
      const r = await receiver(reply(200, body));
      try {
        expect(await call(request(r.url))).toEqual({ status: 200 });
      } finally {
        r.close();
      }
    }
  });

  it('fails for good on a refusal (4xx), with the status and the receiver’s words', async () => {
    for (const status of [400, 401, 403, 404, 409, 422]) {
      const r = await receiver(reply(status, { error: 'unknown list' }));
      try {
        const err = await failure(request(r.url));
        expect(err.nonRetryable).toBe(true);
        expect(err.type).toBe('WebhookRefused');
        expect(err.message).toBe(`webhook step "block_sender" answered ${status}: {"error":"unknown list"}`);
      } finally {
        r.close();
      }
    }
  });

  it('fails for now on 408, 425, 429 and 5xx, to be retried', async () => {
    for (const status of [408, 425, 429, 500, 502, 503]) {
      const r = await receiver(reply(status));
      try {
        const err = await failure(request(r.url));
        expect(err.nonRetryable).toBe(false);
        expect(err.type).toBe('WebhookFailed');
        expect(err.message).toMatch(new RegExp(`answered ${status}`));
      } finally {
        r.close();
      }
    }
  });

  it('fails for now when nothing listens', async () => {
    const port = await freePort();
    const err = await failure(request(`http://127.0.0.1:${port}/hook`));
    expect(err.nonRetryable).toBe(false);
    expect(err.type).toBe('WebhookUnreachable');
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('fails for now when the receiver does not answer in time', async () => {
    const r = await receiver(() => undefined);
    try {
      const err = await failure(request(r.url), { timeoutMs: 300 });
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toBe('webhook step "block_sender": no answer within 300 ms');
    } finally {
      r.close();
    }
  });

  it('does not follow a redirect with the signed request, and fails for good', async () => {
    const r = await receiver((req, res) => (req.url === '/elsewhere' ? reply(200)(req, res) : res.writeHead(307, { location: '/elsewhere' }).end()));
    try {
      const err = await failure(request(r.url));
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toBe('webhook step "block_sender" answered 307');
      expect(r.received.map((q) => q.url)).toEqual(['/hooks/block']);
    } finally {
      r.close();
    }
  });

  it('signs with both secrets during a rotation', async () => {
    const next = 'next-playbook-webhook-secret-0123456789';
    const r = await receiver(reply(204, ''));
    try {
      await call(request(r.url), { secrets: parseWebhookSecrets('V', `2026-12:${next},2026-06:${secret}`) });
      const [req] = r.received;
      expect(String(req!.headers['webhook-signature']).split(' ')).toHaveLength(2);
      expect(createWebhookVerifier(`old:${secret}`).verify(req!.body, req!.headers)).toMatchObject({ verified: true, keyId: 'old' });
      expect(createWebhookVerifier(`new:${next}`).verify(req!.body, req!.headers)).toMatchObject({ verified: true, keyId: 'new' });
    } finally {
      r.close();
    }
  });

  it('reads no more of an endless answer than it could keep, and keeps none of it', async () => {
    let hungUp = false;
    const r = await receiver((_req, res) => {
      res.on('close', () => (hungUp = true));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"blob":"');
      const chunk = 'x'.repeat(16 * 1024);
      const more = () => {
        if (!res.destroyed) res.write(chunk) ? setImmediate(more) : res.once('drain', more);
      };
      more();
    });
    try {
      expect(await call(request(r.url), { timeoutMs: 5_000 })).toEqual({ status: 200 });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(hungUp).toBe(true);
    } finally {
      r.close();
    }
  });

  it('sends nothing and fails for good without a secret, with a URL that is not http(s), or plain http to another host', async () => {
    const r = await receiver(reply(200));
    try {
      const unsigned = await failure(request(r.url), { secrets: undefined });
      expect(unsigned).toMatchObject({ nonRetryable: true, type: 'WebhookNotConfigured' });
      const notHttp = await failure(request('file:///etc/passwd'));
      expect(notHttp).toMatchObject({ nonRetryable: true, type: 'WebhookBadRequest' });
      const clearText = await failure(request('http://mail-gw.example.com/hooks/block'));
      expect(clearText).toMatchObject({ nonRetryable: true, type: 'WebhookBadRequest', message: expect.stringContaining('must be an https URL (plain http only to a loopback host') });
      expect(r.received).toEqual([]);
    } finally {
      r.close();
    }
  });
});
