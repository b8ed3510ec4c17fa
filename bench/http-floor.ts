/**
 * The floor under any HTTP intake, for M1: an Express app whose one route reads an alert's JSON body
 * and hands it to Temporal as the raw path does (`signalWithStart` of `raw-floor-<dedup key>`),
 * with nothing of Firebreak's between: no key, no rate limit, no schema, no PostgreSQL, no request
 * log, no metrics. Beside Firebreak's API and the raw client in one run, it says what the HTTP hop
 * costs by itself, and what Firebreak's own work costs on top of it.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import express from 'express';
import type { AlertSummary } from '../src/domain/incident';
import { signalWithStartRaw } from './harness';

export interface HttpFloor {
  url: string;
  stop(): Promise<void>;
}

const text = (value: unknown) => (typeof value === 'string' && value.length > 0 ? value : undefined);

export async function startHttpFloor(client: Client, taskQueue: string): Promise<HttpFloor> {
  const app = express();
  app.post('/v1/alerts', express.json(), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const [source, sourceRef, title, severity, dedupKey] = [body.source, body.sourceRef, body.title, body.severity, body.dedupKey].map(text);
    if (!source || !sourceRef || !title || !severity || !dedupKey) {
      res.status(400).json({ detail: 'source, sourceRef, title, severity and dedupKey are required' });
      return;
    }
    const summary: AlertSummary = { alertId: sourceRef, source, sourceRef, title, severity: severity as AlertSummary['severity'], receivedAt: new Date().toISOString(), assets: [] };
    await signalWithStartRaw(client, taskQueue, `floor-${dedupKey}`, summary);
    // In Firebreak's answer's shape; its incidentId is the workflow's id, which M1 polls until drained.
    res.status(202).json({ incidentId: `raw-floor-${dedupKey}`, alertId: sourceRef, deduplicated: true });
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
