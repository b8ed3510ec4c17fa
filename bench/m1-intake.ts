/**
 * M1 intake: alerts per second and latency through `POST /v1/alerts`, beside a raw
 * `signalWithStart` loop at the same concurrency against the same dev server, in one run.
 *
 *   npm run build && node dist/bench/m1-intake.js [alerts=2000] [concurrency=32]
 *
 * Starts its own dev server, embedded PostgreSQL, worker and API on free ports, and stops them.
 */
import { machine, numericArgs, pct, phase, rawSignalWithStart, run, sendAlert, startStack, table, timed, type Timed } from './harness';

const [alerts = 2_000, concurrency = 32] = numericArgs(2_000, 32);

run(async () => {
  const stack = await startStack();
  const { client, taskQueue } = stack;
  try {
    const key = await stack.key('integration');
    const keys = 100;
    const firebreak = await phase('firebreak', () =>
      timed(alerts, concurrency, async (i) => {
        await sendAlert(stack.api.url, key, 'f', i, `fb-${i % keys}`);
      }),
    );
    const raw = await phase('raw', () => timed(alerts, concurrency, (i) => rawSignalWithStart(client, taskQueue, String(i % keys), 'r', i)));
    const row = (name: string, r: Timed) => [name, (alerts / r.seconds).toFixed(0), pct(r.latencies, 0.5).toFixed(1), pct(r.latencies, 0.99).toFixed(1)];
    console.log(
      [
        `M1 intake — ${alerts} alerts over ${keys} dedup keys, concurrency ${concurrency}, ${machine()}`,
        '',
        table(['path', 'alerts/s', 'p50 ms', 'p99 ms'], [row('Firebreak POST /v1/alerts', firebreak), row('raw signalWithStart', raw)]),
        '',
        `ratio (Firebreak / raw throughput): ${(raw.seconds / firebreak.seconds).toFixed(2)}`,
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
});
