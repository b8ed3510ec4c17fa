/**
 * M4 open incidents: what many open incidents cost a worker, and whether intake slows down with
 * them. For each level it opens incidents through the API up to that many (one dedup key each),
 * waits until the worker is idle, reads the worker process's memory after a forced GC, then runs
 * a short intake (M1's loop: `POST /v1/alerts` over 100 fresh keys, then raw `signalWithStart`
 * over 100 fresh workflow ids). One unmeasured intake run over 10 keys warms everything up first. The worker runs in its own process, with a workflow cache big
 * enough to hold every incident, so memory per cached incident is the growth of its RSS divided
 * by the growth of its cache.
 *
 *   npm run build && node dist/bench/m4-open-incidents.js [levels=0,1000,10000] [alerts=1000] [concurrency=32]
 */
import { machine, pct, phase, ratio, rawSignalWithStart, run, sendAlert, startStack, table, timed, waitForIncidents, type Timed, type WorkerLoad } from './harness';

const levels = (process.argv[2] || '0,1000,10000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const [alerts = 1_000, concurrency = 32] = process.argv.slice(3).map(Number);
const KEYS = 100;
const WARMUP_KEYS = 10;
/** Room for every level's incidents and the workflows each intake run opens (100 + 100, and the warm-up's). */
const maxCachedWorkflows = Math.max(...levels) + levels.length * 2 * KEYS + 2 * WARMUP_KEYS + 500;
const MiB = 1024 * 1024;

interface Level {
  open: number;
  load: WorkerLoad;
  opening?: { seconds: number; settledSeconds: number; count: number };
  firebreak: Timed;
  raw: Timed;
}

run(async () => {
  const stack = await startStack({ worker: 'child', maxCachedWorkflows });
  const { client } = stack;
  try {
    const key = await stack.key('integration');
    /** M1's two loops, on fresh keys named after `run`. */
    const intake = async (run: string, keys: number) => ({
      firebreak: await phase(`firebreak-${run}`, () =>
        timed(alerts, concurrency, async (i) => {
          await sendAlert(stack.api.url, key, `m4-${run}-`, i, `m4-${run}-key-${i % keys}`);
        }),
      ),
      raw: await phase(`raw-${run}`, () =>
        timed(alerts, concurrency, (i) => rawSignalWithStart(client, stack.taskQueue, `${run}-${i % keys}`, `r${run}-`, i)),
      ),
    });
    // One intake run first, on keys of its own and unmeasured, so the first level does not pay
    // for connections and JIT; its workflows are counted in the cache like any other.
    await intake(`warm`, WARMUP_KEYS);
    const results: Level[] = [];
    let opened = 0;
    for (const level of levels) {
      let opening: Level['opening'];
      if (level > opened) {
        const from = opened;
        const started = performance.now();
        const sent = await timed(level - from, concurrency, async (i) => {
          await sendAlert(stack.api.url, key, 'm4-open-', from + i, `m4-open-${from + i}`);
        });
        await waitForIncidents(stack.pool, 'm4-open-', level, 3_600_000);
        opening = { seconds: sent.seconds, settledSeconds: (performance.now() - started) / 1000, count: level - from };
        opened = level;
      }
      await stack.waitIdle();
      const load = await stack.workerLoad();

      const { firebreak, raw } = await intake(String(level), KEYS);
      results.push({ open: level, load, opening, firebreak, raw });
      console.error(`level ${level}: ${load.cachedWorkflows} cached, ${(load.rss / MiB).toFixed(0)} MiB RSS, Firebreak ${(alerts / firebreak.seconds).toFixed(0)}/s, raw ${(alerts / raw.seconds).toFixed(0)}/s`);
      await stack.waitIdle();
    }

    const rows = results.map((r, k) => {
      const prev = results[k - 1];
      const perWorkflow = prev && r.load.cachedWorkflows > prev.load.cachedWorkflows ? ((r.load.rss - prev.load.rss) / (r.load.cachedWorkflows - prev.load.cachedWorkflows) / 1024).toFixed(1) : '–';
      return [
        r.open,
        r.load.cachedWorkflows,
        (r.load.rss / MiB).toFixed(0),
        (r.load.heapUsed / MiB).toFixed(0),
        perWorkflow,
        (alerts / r.firebreak.seconds).toFixed(0),
        pct(r.firebreak.latencies, 0.5).toFixed(1),
        pct(r.firebreak.latencies, 0.99).toFixed(1),
        (alerts / r.raw.seconds).toFixed(0),
        pct(r.raw.latencies, 0.5).toFixed(1),
        pct(r.raw.latencies, 0.99).toFixed(1),
        ratio(r.raw.seconds, r.firebreak.seconds),
      ];
    });
    const first = results[0]!;
    const last = results.at(-1)!;
    const overall = last.load.cachedWorkflows > first.load.cachedWorkflows ? (last.load.rss - first.load.rss) / (last.load.cachedWorkflows - first.load.cachedWorkflows) / 1024 : NaN;
    console.log(
      [
        `M4 open incidents — levels ${levels.join(' / ')}, intake ${alerts} alerts over ${KEYS} fresh keys per level, concurrency ${concurrency}, worker maxCachedWorkflows ${maxCachedWorkflows}, ${machine()}`,
        '',
        table(
          ['incidents open', 'workflows cached', 'worker RSS MiB', 'worker main heap MiB', 'RSS KiB per cached workflow (vs row above)', 'Firebreak alerts/s', 'p50 ms', 'p99 ms', 'raw alerts/s', 'p50 ms', 'p99 ms', 'ratio (Firebreak / raw throughput)'],
          rows,
        ),
        '',
        ...results
          .filter((r) => r.opening)
          .map((r) => `opening ${r.opening!.count} incidents for level ${r.open}: ${r.opening!.seconds.toFixed(1)} s of intake (${(r.opening!.count / r.opening!.seconds).toFixed(0)}/s), every one in the read model after ${r.opening!.settledSeconds.toFixed(1)} s`),
        '',
        `worker memory per cached workflow, first level to last: ${overall.toFixed(1)} KiB of RSS`,
        `intake at ${last.open} open / at ${first.open} open: Firebreak ${ratio(first.firebreak.seconds, last.firebreak.seconds)}, raw ${ratio(first.raw.seconds, last.raw.seconds)}`,
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
});
