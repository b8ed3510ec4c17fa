import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { adaptersFromEnvironment, playbookWebhookSecrets } from '../../src/adapters/from-environment';
import { createWebhookVerifier } from '../../src/adapters/webhook-verifier';

const pool = {} as never;
const shared = 'shared-webhook-secret-0123456789';
const containmentSecret = 'containment-only-secret-0123456789';

describe('webhook adapters from the environment', () => {
  it('signs each adapter with its own secret when it has one, else with FIREBREAK_WEBHOOK_SECRET', async () => {
    const received: Array<{ kind: string; headers: IncomingMessage['headers']; body: string }> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ kind: JSON.parse(body).kind, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const adapters = adaptersFromEnvironment(pool, {
        FIREBREAK_NOTIFY_WEBHOOK_URL: url,
        FIREBREAK_CONTAINMENT_WEBHOOK_URL: url,
        FIREBREAK_WEBHOOK_SECRET: shared,
        FIREBREAK_CONTAINMENT_WEBHOOK_SECRET: `soar-1:${containmentSecret}`,
      });
      await adapters.notifier.send({ idempotencyKey: 'n1', incidentId: 'i1', recipient: 'on_call', subject: 's', body: 'b' });
      await adapters.containment.execute({ idempotencyKey: 'c1', incidentId: 'i1', asset: { kind: 'host', id: 'h1' }, action: 'isolate_host' });
      const [notify, contain] = received;
      expect(notify!.kind).toBe('notify');
      expect(createWebhookVerifier(shared).verify(notify!.body, notify!.headers)).toMatchObject({ verified: true });
      expect(contain!.kind).toBe('asset_action');
      expect(createWebhookVerifier(`soar-1:${containmentSecret}`).verify(contain!.body, contain!.headers)).toMatchObject({ verified: true, keyId: 'soar-1' });
      // The containment system's secret is not the shared one: a receiver holding only that refuses it.
      expect(createWebhookVerifier(shared).verify(contain!.body, contain!.headers)).toEqual({ verified: false, reason: 'no matching signature' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('refuses at start an http URL to another host, a URL without a secret and a bad secret, naming the variable', () => {
    expect(() => adaptersFromEnvironment(pool, { FIREBREAK_CONTAINMENT_WEBHOOK_URL: 'http://soar.example.com/hooks', FIREBREAK_WEBHOOK_SECRET: shared })).toThrow(
      'FIREBREAK_CONTAINMENT_WEBHOOK_URL must be an https URL (plain http only to a loopback host: localhost, 127.0.0.0/8, ::1)',
    );
    expect(() => adaptersFromEnvironment(pool, { FIREBREAK_SCANNER_WEBHOOK_URL: 'https://scanner.example.com/hooks' })).toThrow(
      'FIREBREAK_SCANNER_WEBHOOK_URL is set: FIREBREAK_SCANNER_WEBHOOK_SECRET or FIREBREAK_WEBHOOK_SECRET must be set too',
    );
    expect(() => adaptersFromEnvironment(pool, { FIREBREAK_FORENSICS_WEBHOOK_URL: 'https://dfir.example.com/hooks', FIREBREAK_WEBHOOK_SECRET: shared, FIREBREAK_FORENSICS_WEBHOOK_SECRET: 'too-short' })).toThrow(
      /^FIREBREAK_FORENSICS_WEBHOOK_SECRET: secret "default" must have 16\+ bytes/,
    );
    expect(() => adaptersFromEnvironment(pool, { FIREBREAK_NOTIFY_WEBHOOK_URL: 'https://chat.example.com/hooks', FIREBREAK_WEBHOOK_SECRET: 'short' })).toThrow(/^FIREBREAK_WEBHOOK_SECRET: /);
    // https anywhere, and dry-run where no URL is set.
    const adapters = adaptersFromEnvironment(pool, { FIREBREAK_NOTIFY_WEBHOOK_URL: 'https://chat.example.com/hooks', FIREBREAK_WEBHOOK_SECRET: shared });
    expect(adapters.notifier).toBeDefined();
  });

  it('gives playbooks’ webhook steps FIREBREAK_PLAYBOOK_WEBHOOK_SECRET, else the shared secret, else none', () => {
    expect(playbookWebhookSecrets({})).toBeUndefined();
    expect(playbookWebhookSecrets({ FIREBREAK_WEBHOOK_SECRET: shared })?.map((s) => s.keyId)).toEqual(['default']);
    expect(playbookWebhookSecrets({ FIREBREAK_WEBHOOK_SECRET: shared, FIREBREAK_PLAYBOOK_WEBHOOK_SECRET: `p2:${containmentSecret},p1:${shared}` })?.map((s) => s.keyId)).toEqual(['p2', 'p1']);
    expect(() => playbookWebhookSecrets({ FIREBREAK_PLAYBOOK_WEBHOOK_SECRET: 'p:short' })).toThrow(/^FIREBREAK_PLAYBOOK_WEBHOOK_SECRET: secret "p"/);
  });
});
