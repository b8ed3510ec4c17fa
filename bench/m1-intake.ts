/**
 * M1 intake: alerts per second and latency through `POST /v1/alerts`, beside a raw
 * `signalWithStart` loop at the same concurrency against the same dev server, in one run.
 *
 *   npm run build && node dist/bench/m1-intake.js [alerts=2000] [concurrency=32]
 *
 * Starts its own dev server, embedded PostgreSQL, worker and API on free ports, and stops them.
 * The worker runs in a process of its own, as in production (and as M4 runs it), for both paths
 * alike: in the API's process its workflow tasks and activities took the main thread the API needs.
 * The load generator (HTTP client for Firebreak, Temporal client for raw) runs in this process, beside
 * the API. The raw loop starts once the incidents have counted every alert, so it does not share the
 * worker with the first loop's backlog.
 */
import { workflowIdFor } from '../src/temporal/contract';
import { stateQuery } from '../src/workflows/messages';
import { machine, numericArgs, pct, phase, rawSignalWithStart, run, sendAlert, startStack, table, timed, waitUntil, type Timed } from './harness';

const [alerts = 2_000, concurrency = 32] = numericArgs(2_000, 32);

run(async () => {
  const stack = await startStack({ worker: 'child' });
  const { client, taskQueue } = stack;
  try {
    const key = await stack.key('integration');
    const keys = 100;
    const incidents = new Set<string>();
    const firebreak = await phase('firebreak', () =>
      timed(alerts, concurrency, async (i) => {
        incidents.add((await sendAlert(stack.api.url, key, 'f', i, `fb-${i % keys}`)).incidentId);
      }),
    );
    // The incidents have counted every alert: the worker has no backlog left when the raw loop starts.
    await waitUntil(
      'every alert counted',
      async () => {
        const counted = (await Promise.all([...incidents].map(async (id) => (await client.workflow.getHandle(workflowIdFor(id)).query(stateQuery)).alertCount))).reduce((a, b) => a + b, 0);
        return counted >= alerts || `${counted} of ${alerts}`;
      },
      300_000,
      500,
    );
    const raw = await phase('raw', () => timed(alerts, concurrency, (i) => rawSignalWithStart(client, taskQueue, String(i % keys), 'r', i)));
    const row = (name: string, r: Timed) => [name, (alerts / r.seconds).toFixed(0), pct(r.latencies, 0.5).toFixed(1), pct(r.latencies, 0.99).toFixed(1)];
    console.log(
      [
        `M1 intake — ${alerts} alerts over ${keys} dedup keys, concurrency ${concurrency}, worker in a process of its own, ${machine()}`,
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
