import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookVerifier, type WebhookVerifier } from '../../../src/adapters/webhook-verifier';

/** What the receiver does with one delivery of a key: answer 500, never answer, or apply it. */
export type Behaviour = 'fail-500' | 'hang' | 'apply-then-hang' | 'apply';

export interface Delivery {
  idempotencyKey: string;
  kind: string;
  action?: string;
  at: number;
  behaviour: Behaviour;
  /** The Standard Webhooks message id it was signed under. */
  webhookId: string;
}

/**
 * A containment system behind the webhook adapter, as a real one would behave: it checks the
 * signature with the verifier Firebreak ships for receivers, applies each idempotency key at most once and answers a repeated key with the first
 * answer. Tests script how it treats each delivery of a key to inject faults.
 */
export class ActionReceiver {
  readonly deliveries: Delivery[] = [];
  /** Keys whose action took effect, in order. A repeated key does not act again, so tests check which keys were sent. */
  readonly applied: string[] = [];
  /** Requests refused for a missing, wrong or stale signature. */
  unverified = 0;
  private readonly held = new Set<ServerResponse>();
  private readonly scripts: Array<{ match: (key: string) => boolean; behaviours: Behaviour[] }> = [];
  private readonly waiters: Array<{ match: (d: Delivery) => boolean; resolve: (d: Delivery) => void }> = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  url = '';

  private readonly verifier: WebhookVerifier;

  constructor(readonly secret: string) {
    this.verifier = createWebhookVerifier(secret);
  }

  async start(): Promise<this> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/actions`;
    return this;
  }

  /** The n-th delivery of a matching key gets behaviours[n]; later ones are applied. */
  script(match: (key: string) => boolean, behaviours: Behaviour[]): void {
    this.scripts.push({ match, behaviours: [...behaviours] });
  }

  deliveriesOf(key: string): Delivery[] {
    return this.deliveries.filter((d) => d.idempotencyKey === key);
  }

  /** Each action name with the distinct idempotency keys it was sent under: one per action when retries reuse their key. */
  keysByAction(): Record<string, string[]> {
    const keys: Record<string, string[]> = {};
    for (const d of this.deliveries) {
      const list = (keys[d.action ?? d.kind] ??= []);
      if (!list.includes(d.idempotencyKey)) list.push(d.idempotencyKey);
    }
    return keys;
  }

  /** Resolves at the first delivery (past or future) that matches. */
  next(match: (d: Delivery) => boolean): Promise<Delivery> {
    const seen = this.deliveries.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ match, resolve }));
  }

  /** Answers every held request (as applied), as when a slow system finally finishes. */
  release(): void {
    for (const res of this.held) if (!res.destroyed) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    this.held.clear();
  }

  async close(): Promise<void> {
    for (const res of this.held) res.destroy();
    this.server.closeAllConnections();
    this.server.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const verdict = this.verifier.verify(body, req.headers);
    if (!verdict.verified) {
      this.unverified += 1;
      res.writeHead(401).end('bad signature');
      return;
    }
    const payload = JSON.parse(body) as { kind: string; idempotencyKey: string; action?: string };
    const key = payload.idempotencyKey;
    const nth = this.deliveriesOf(key).length;
    const behaviour: Behaviour = this.scripts.find((s) => s.match(key))?.behaviours[nth] ?? 'apply';
    const delivery: Delivery = { idempotencyKey: key, kind: payload.kind, action: payload.action, at: Date.now(), behaviour, webhookId: verdict.id };
    this.deliveries.push(delivery);
    for (const waiter of [...this.waiters]) {
      if (waiter.match(delivery)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(delivery);
      }
    }
    const apply = () => {
      if (!this.applied.includes(key)) this.applied.push(key);
    };
    switch (behaviour) {
      case 'fail-500':
        res.writeHead(500).end('containment backend error');
        return;
      case 'hang':
        this.held.add(res);
        return;
      case 'apply-then-hang':
        apply();
        this.held.add(res);
        return;
      case 'apply':
        apply();
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    }
  }
}
