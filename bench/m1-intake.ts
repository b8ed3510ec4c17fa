/**
 * M1 intake: alerts per second and latency through `POST /v1/alerts`, beside a raw
 * `signalWithStart` loop at the same concurrency against the same Temporal server, in one run. A
 * third path, the HTTP floor (bench/http-floor.ts), sends the same requests to an Express route
 * that only hands each alert to Temporal as the raw loop does: between it and raw lies the cost
 * of an HTTP hop, between Firebreak and it the cost of what Firebreak does with an alert (its
 * key, rate limits, schema, PostgreSQL, log and metrics).
 *
 *   npm run build && node dist/bench/m1-intake.js [alerts=2000] [concurrency=32] [rounds=3]
 *
 * Starts its own Temporal, embedded PostgreSQL, worker and API on free ports, and stops them.
 * The worker runs in a process of its own, as in production (and as M4 runs it), for every path
 * alike: in the API's process its workflow tasks and activities took the main thread the API needs.
 * The load generator (HTTP client, Temporal client for raw), the API and the HTTP floor run in this
 * process. After an unmeasured warm-up of every path (which opens the incidents and workflows),
 * the paths take turns: each round runs every path once, in an order that moves on by one
 * each round (over the default three rounds each path runs once in each place), so the machine's
 * drift weighs on all of them alike. A phase starts once the workflows of the phase before have counted
 * every alert, so no path shares the worker with another's backlog. The ratios are the medians of
 * the rounds' ratios; a single run of one pair moved by 0.2 between runs of one build.
 */
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../src/temporal/contract';
import { startHttpFloor } from './http-floor';
import { machine, median, numericArgs, pct, phase, rawSignalWithStart, run, sendAlert, startStack, table, timed, waitForAlertsCounted, withCpu, type Timed } from './harness';
import type { ProcessRole } from './process-cpu';

const [alerts = 2_000, concurrency = 32, rounds = 3] = numericArgs(2_000, 32, 3);
const KEYS = 100;
/** Alerts per path before the clock starts: each of the keys a few times. */
const WARMUP = 5 * KEYS;
const CPU_ROLES: ProcessRole[] = ['load generator', 'worker', 'Temporal', 'PostgreSQL'];

interface Path {
  name: string;
  label: string;
  /** Sends alert `i` of `round` (0 is the warm-up); resolves to the workflow that counts it. */
  send(round: number, i: number): Promise<string>;
  /** Every workflow the path has sent to, and how many alerts it has sent in all. */
  workflows: Set<string>;
  sent: number;
  results: Timed[];
  cpuSeconds: Record<ProcessRole, number>;
}

/** Waits until the path's workflows have counted every alert it sent, so the next phase finds the worker idle. */
const drained = (client: Client, path: Path) => waitForAlertsCounted(`every ${path.name} alert counted`, client, () => [...path.workflows], path.sent, 300_000);

run(async () => {
  const stack = await startStack({ worker: 'child' });
  const { client, taskQueue } = stack;
  const floor = await startHttpFloor(client, taskQueue);
  try {
    const key = await stack.key('integration');
    const path = (name: string, label: string, send: Path['send']): Path => ({ name, label, send, workflows: new Set(), sent: 0, results: [], cpuSeconds: Object.fromEntries(CPU_ROLES.map((r) => [r, 0])) as Record<ProcessRole, number> });
    const firebreak = path('firebreak', 'Firebreak POST /v1/alerts', async (round, i) => workflowIdFor((await sendAlert(stack.api.url, key, `f${round}-`, i, `fb-${i % KEYS}`)).incidentId));
    const httpFloor = path('floor', 'HTTP floor: Express route + signalWithStart', async (round, i) => (await sendAlert(floor.url, key, `h${round}-`, i, `fl-${i % KEYS}`)).incidentId);
    const raw = path('raw', 'raw signalWithStart', async (round, i) => {
      await rawSignalWithStart(client, taskQueue, String(i % KEYS), `r${round}-`, i);
      return `raw-${i % KEYS}`;
    });
    const paths = [firebreak, httpFloor, raw];
    // Unmeasured: every path opens its workflows (Firebreak its incidents) and warms its code, so
    // that no path's first measured phase pays for what the others paid before the clock.
    for (const p of paths) {
      await timed(WARMUP, concurrency, async (i) => {
        p.workflows.add(await p.send(0, i));
      });
      p.sent += WARMUP;
      await drained(client, p);
    }
    const order: Array<[number, Path, Timed]> = [];

    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < paths.length; k++) {
        const p = paths[(round + k) % paths.length]!;
        const measured = await withCpu(() =>
          phase(`${p.name}-${round + 1}`, () =>
            timed(alerts, concurrency, async (i) => {
              p.workflows.add(await p.send(round + 1, i));
            }),
          ),
        );
        p.sent += alerts;
        p.results.push(measured.result);
        order.push([round + 1, p, measured.result]);
        for (const role of CPU_ROLES) p.cpuSeconds[role] += measured.cpuSeconds[role];
        await drained(client, p);
      }
    }

    const rate = (r: Timed) => alerts / r.seconds;
    const perRound = (a: Path, b: Path) => a.results.map((r, i) => rate(r) / rate(b.results[i]!));
    const ratioLine = (what: string, a: Path, b: Path) => {
      const ratios = perRound(a, b);
      return `ratio (${what} throughput): median ${median(ratios).toFixed(2)} (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')})`;
    };
    const cpuMs = (p: Path, role: ProcessRole) => (p.cpuSeconds[role] * 1000) / p.sent;
    console.log(
      [
        `M1 intake — ${alerts} alerts per phase over ${KEYS} dedup keys, concurrency ${concurrency}, ${rounds} rounds, API and HTTP floor in the load generator's process, worker in a process of its own, ${machine()}`,
        '',
        table(
          ['round', 'path', 'alerts/s', 'p50 ms', 'p99 ms'],
          order.map(([round, p, r]) => [round, p.label, rate(r).toFixed(0), pct(r.latencies, 0.5).toFixed(1), pct(r.latencies, 0.99).toFixed(1)]),
        ),
        '',
        'CPU per alert over every round, ms (the load generator runs the API, the HTTP floor and the clients):',
        '',
        table(
          ['path', 'alerts/s (median)', ...CPU_ROLES, 'total'],
          paths.map((p) => [p.label, median(p.results.map(rate)).toFixed(0), ...CPU_ROLES.map((role) => cpuMs(p, role).toFixed(2)), CPU_ROLES.reduce((sum, role) => sum + cpuMs(p, role), 0).toFixed(2)]),
        ),
        '',
        ratioLine('Firebreak / raw', firebreak, raw),
        ratioLine('HTTP floor / raw', httpFloor, raw),
        ratioLine('Firebreak / HTTP floor', firebreak, httpFloor),
      ].join('\n'),
    );
  } finally {
    await floor.stop();
    await stack.stop();
  }
});
