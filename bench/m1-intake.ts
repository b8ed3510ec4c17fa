/**
 * M1 intake: alerts per second and latency through `POST /v1/alerts`, beside a raw
 * `signalWithStart` loop at the same concurrency against the same dev server, in one run.
 *
 *   npm run build && node dist/bench/m1-intake.js [alerts=2000] [concurrency=32]
 *
 * Starts its own dev server, embedded PostgreSQL, worker and API on free ports, and stops them.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { startApi } from '../src/api/api-service';
import { ApiKeyStore } from '../src/db/api-key-store';
import { migrateUp } from '../src/db/migrate';
import { createPool } from '../src/db/pool';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { freePort } from '../src/net';
import { startEmbeddedPostgres } from '../src/stack/embedded-postgres';
import { temporalCliPath } from '../src/temporal/binaries';
import { startDevServer } from '../src/temporal/dev-server';
import { createIncidentWorker } from '../src/worker/incident-worker';
import { alertSignal } from '../src/workflows/messages';

const [alerts = 2_000, concurrency = 32] = process.argv.slice(2).map(Number);

async function timed(n: number, limit: number, task: (i: number) => Promise<void>): Promise<{ seconds: number; latencies: number[] }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) {
        const i = next++;
        const t = performance.now();
        await task(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, latencies: latencies.sort((a, b) => a - b) };
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const work = mkdtempSync(path.join(os.tmpdir(), 'firebreak-bench-'));
  chmodSync(work, 0o755);
  const temporal = await startDevServer({ cliPath: temporalCliPath(), port: await freePort(), dbFile: path.join(work, 't.sqlite'), fastSqlite: true });
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(work, 'pg'), port: await freePort(), persistent: false });
  await postgres.createDatabase('bench');
  await migrateUp(postgres.urlFor('bench'));
  const pool = createPool(postgres.urlFor('bench'));
  const key = (await new ApiKeyStore(pool).create('bench', 'integration')).token;
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  const taskQueue = 'bench-incidents';
  const worker = await createIncidentWorker({ connection: nativeConnection, namespace: 'default', pool, taskQueue });
  const running = worker.run();
  const api = await startApi({ pool, temporalAddress: temporal.address, temporalNamespace: 'default', host: '127.0.0.1', port: 0, logger: pino({ level: 'silent' }), taskQueue });
  const client = new Client({ connection: await Connection.connect({ address: temporal.address }) });
  try {
    const keys = 100;
    const firebreak = await timed(alerts, concurrency, async (i) => {
      const res = await fetch(`${api.url}/v1/alerts`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source: 'bench', sourceRef: `f${i}`, title: 'Bench alert', severity: 'low', dedupKey: `fb-${i % keys}` }),
      });
      if (res.status !== 202) throw new Error(`intake answered ${res.status}: ${await res.text()}`);
    });
    const raw = await timed(alerts, concurrency, async (i) => {
      await client.workflow.signalWithStart('incidentWorkflow', {
        workflowId: `raw-${i % keys}`,
        taskQueue,
        args: [{ incidentId: `raw${i % keys}`, dedupKey: `raw-${i % keys}`, title: 'Bench alert', source: 'bench', severity: 'low', policy: DEFAULT_POLICY }],
        signal: alertSignal,
        signalArgs: [{ alertId: `r${i}`, source: 'bench', sourceRef: `r${i}`, title: 'Bench alert', severity: 'low', receivedAt: new Date().toISOString(), assets: [] }],
      });
    });
    const row = (name: string, r: { seconds: number; latencies: number[] }) =>
      `| ${name} | ${(alerts / r.seconds).toFixed(0)} | ${pct(r.latencies, 0.5).toFixed(1)} | ${pct(r.latencies, 0.99).toFixed(1)} |`;
    console.log(
      [
        `M1 intake — ${alerts} alerts over ${keys} dedup keys, concurrency ${concurrency}, ${os.cpus().length} cores, Node ${process.version}, @temporalio 1.24.0, ${os.platform()}`,
        '',
        '| path | alerts/s | p50 ms | p99 ms |',
        '| --- | --- | --- | --- |',
        row('Firebreak POST /v1/alerts', firebreak),
        row('raw signalWithStart', raw),
        '',
        `ratio (Firebreak / raw throughput): ${(raw.seconds / firebreak.seconds).toFixed(2)}`,
      ].join('\n'),
    );
  } finally {
    await api.close();
    worker.shutdown();
    await running;
    await nativeConnection.close();
    await client.connection.close();
    await pool.end();
    await postgres.stop();
    await temporal.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
