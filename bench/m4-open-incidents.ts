/**
 * M4 open incidents: what many open incidents cost, and what slows down with them. For each level
 * it opens incidents through the API up to that many (one dedup key each), and as many trivial
 * workflows on a worker process of their own, waits until both workers are idle, reads the
 * workers' memory after a forced GC, then measures at that level:
 *
 * - intake: M1's loop, `POST /v1/alerts` over 100 fresh keys, then raw `signalWithStart` over 100
 *   fresh workflow ids;
 * - decisions: M3's acknowledge through the API on open incidents not yet acknowledged, taking
 *   turns in rounds with a raw `executeUpdate` on the open trivial workflows (concurrency 1);
 * - the console's queue: `GET /v1/incidents?open=true&order=deadline&include=state`, first page;
 * - CPU per process (API, worker, Temporal, PostgreSQL, the load generator) and of the whole
 *   machine during each of those, to say which resource runs out first.
 *
 * One unmeasured intake run over 10 keys warms everything up first. The API runs in a process of
 * its own (dist/src/api/server.js), so its CPU is apart from the load generator's. The incident
 * worker runs in its own process, with a workflow cache big enough to hold every incident, so memory
 * per cached incident is the growth of its RSS divided by the growth of its cache.
 *
 *   npm run build && node dist/bench/m4-open-incidents.js [levels=100,1000,10000] [alerts=1000] [concurrency=32] [decisions=100]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Decided } from '../src/domain/decisions';
import type { Principal } from '../src/domain/principal';
import {
  bundleToFile,
  coresLine,
  machine,
  pct,
  phase,
  post,
  ratio,
  rawSignalWithStart,
  run,
  sendAlert,
  startApiProcess,
  startBaselineWorkerProcess,
  startStack,
  stopEventRelay,
  table,
  timed,
  trivialWorkflowsPath,
  waitForIncidents,
  waitLoadIdle,
  withCpu,
  type ProcessRole,
  type Timed,
  type WorkerLoad,
} from './harness';
import { incidentWorkflowsPath } from '../src/worker/incident-worker';
import { bumpUpdate, trivialWorkflow } from './workflows/trivial';

const levels = (process.argv[2] || '100,1000,10000')
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const [alerts = 1_000, concurrency = 32, decisionsAsked = 100] = process.argv.slice(3).map(Number);
/** Each level acknowledges incidents opened for it and not yet acknowledged: the first level has only its own. */
const decisions = Math.min(decisionsAsked, levels[0] || decisionsAsked);
const DECISION_ROUNDS = 5;
const QUEUE_READS = 5;
const KEYS = 100;
const WARMUP_KEYS = 10;
/** Room for every level's incidents and the workflows each intake run opens (100 + 100, and the warm-up's). */
const maxCachedWorkflows = Math.max(...levels) + levels.length * 2 * KEYS + 2 * WARMUP_KEYS + 500;
const MiB = 1024 * 1024;
const TRIVIAL_QUEUE = 'm4-trivial';

type Cpu = { cores: Record<ProcessRole, number>; machineCores: number };

interface Level {
  open: number;
  load: WorkerLoad;
  rawLoad: WorkerLoad;
  opening?: { seconds: number; settledSeconds: number; count: number; cpu: Cpu };
  firebreak: Timed;
  raw: Timed;
  ack: Timed;
  rawUpdate: Timed;
  /** Milliseconds per read of the queue's first page, sorted. */
  queue: number[];
  queueRows: number;
  cpu: { intake: Cpu; rawIntake: Cpu; decisions: Cpu; queue: Cpu };
}

run(async () => {
  if (!(decisions > 0)) throw new Error('decisions per level must be at least 1, and the first level at least that many incidents');
  const stack = await startStack({ worker: 'child', maxCachedWorkflows });
  const { client } = stack;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'firebreak-m4-'));
  const stops: Array<() => Promise<void>> = [];
  try {
    const api = await startApiProcess(stack);
    stops.push(() => api.stop());
    const incidentWorker = stack.workerProcess!;
    // The event relay runs an activity for ever: without it the worker can be seen idle.
    await stopEventRelay(client, stack.taskQueue, () => incidentWorker.load());
    const rawWorker = await startBaselineWorkerProcess(stack, {
      incidentBundle: await bundleToFile(incidentWorkflowsPath(), path.join(folder, 'incident-bundle.js')),
      baselineBundle: await bundleToFile(trivialWorkflowsPath(), path.join(folder, 'trivial-bundle.js')),
      queue: TRIVIAL_QUEUE,
      maxCachedWorkflows,
    });
    stops.push(() => rawWorker.stop());
    const idle = async () => {
      await stack.waitIdle();
      await waitLoadIdle('the raw worker', () => rawWorker.load());
    };
    const key = await stack.key('integration');
    const manager = await stack.key('manager');
    /** M1's two loops, on fresh keys named after `run`. */
    const intake = async (run: string, keys: number) => {
      const firebreak = await withCpu(() =>
        phase(`firebreak-${run}`, () =>
          timed(alerts, concurrency, async (i) => {
            await sendAlert(api.url, key, `m4-${run}-`, i, `m4-${run}-key-${i % keys}`);
          }),
        ),
      );
      const raw = await withCpu(() => phase(`raw-${run}`, () => timed(alerts, concurrency, (i) => rawSignalWithStart(client, stack.taskQueue, `${run}-${i % keys}`, `r${run}-`, i))));
      return { firebreak, raw };
    };
    // One intake run first, on keys of its own and unmeasured, so the first level does not pay
    // for connections and JIT; its workflows are counted in the cache like any other.
    await intake(`warm`, WARMUP_KEYS);
    const principal: Principal = { keyId: '0000000000000000', name: 'bench-manager', role: 'manager' };
    const decided: Decided<Record<string, never>> = { principal, decision: {} };
    const incidents: string[] = [];
    const results: Level[] = [];
    let opened = 0;
    for (const level of levels) {
      let opening: Level['opening'];
      if (level > opened) {
        const from = opened;
        let seconds = 0;
        const cpu = await withCpu(async () => {
          const sent = await timed(level - from, concurrency, async (i) => {
            incidents[from + i] = (await sendAlert(api.url, key, 'm4-open-', from + i, `m4-open-${from + i}`)).incidentId;
          });
          seconds = sent.seconds;
          await waitForIncidents(stack.pool, 'm4-open-', level, 3_600_000);
        });
        await timed(level - from, concurrency, async (i) => {
          await client.workflow.start(trivialWorkflow, { workflowId: `m4-trivial-${from + i}`, taskQueue: TRIVIAL_QUEUE, args: [] });
        });
        opening = { seconds, settledSeconds: cpu.seconds, count: level - from, cpu: { cores: cpu.cores, machineCores: cpu.machineCores } };
        console.error(`opened ${level - from} incidents in ${seconds.toFixed(1)} s, settled in ${cpu.seconds.toFixed(1)} s; ${coresLine(cpu.cores)}; machine ${cpu.machineCores.toFixed(2)}`);
      }
      await idle();
      const load = await stack.workerLoad();
      const rawLoad = await rawWorker.load();

      const { firebreak, raw } = await intake(String(level), KEYS);
      await idle();

      // Decisions on incidents opened for this level and not acknowledged yet, beside the raw update
      // on as many of the open trivial workflows; the two take turns in rounds.
      const first = opened;
      const paths = [
        async (i: number) => {
          const res = await post(`${api.url}/v1/incidents/${incidents[first + i]}/acknowledge`, manager, {});
          if (res.status !== 200 || res.body.phase !== 'triage') throw new Error(`acknowledge answered ${res.status}: ${JSON.stringify(res.body)}`);
        },
        async (i: number) => {
          await client.workflow.getHandle(`m4-trivial-${first + i}`).executeUpdate(bumpUpdate, { args: [decided] });
        },
      ];
      const timings: Timed[] = paths.map(() => ({ seconds: 0, latencies: [] }));
      const decisionCpu = await withCpu(async () => {
        const chunk = Math.ceil(decisions / DECISION_ROUNDS);
        for (let start = 0; start < decisions; start += chunk) {
          const n = Math.min(chunk, decisions - start);
          for (const [k, p] of paths.entries()) {
            const r = await phase(`${k === 0 ? 'firebreak' : 'raw'}-decisions-${level}`, () => timed(n, 1, (i) => p(start + i)));
            timings[k]!.seconds += r.seconds;
            timings[k]!.latencies.push(...r.latencies);
          }
        }
      });
      for (const t of timings) t.latencies.sort((a, b) => a - b);
      const [ack, rawUpdate] = timings as [Timed, Timed];
      await idle();

      // The console's queue: every open incident, ordered by deadline in memory, the first page.
      let queueRows = 0;
      const queueCpu = await withCpu(() =>
        phase(`queue-${level}`, async () => {
          const reads = await timed(QUEUE_READS, 1, async () => {
            const res = await fetch(`${api.url}/v1/incidents?open=true&order=deadline&include=state`, { headers: { authorization: `Bearer ${manager}` } });
            const body = (await res.json()) as { items?: unknown[] };
            if (res.status !== 200) throw new Error(`the queue answered ${res.status}: ${JSON.stringify(body)}`);
            queueRows = body.items?.length ?? 0;
          });
          return reads.latencies;
        }),
      );
      opened = level;

      results.push({
        open: level,
        load,
        rawLoad,
        opening,
        firebreak: firebreak.result,
        raw: raw.result,
        ack,
        rawUpdate,
        queue: queueCpu.result,
        queueRows,
        cpu: {
          intake: { cores: firebreak.cores, machineCores: firebreak.machineCores },
          rawIntake: { cores: raw.cores, machineCores: raw.machineCores },
          decisions: { cores: decisionCpu.cores, machineCores: decisionCpu.machineCores },
          queue: { cores: queueCpu.cores, machineCores: queueCpu.machineCores },
        },
      });
      console.error(
        `level ${level}: ${load.cachedWorkflows} cached, ${(load.rss / MiB).toFixed(0)} MiB RSS, Firebreak ${(alerts / firebreak.result.seconds).toFixed(0)}/s, raw ${(alerts / raw.result.seconds).toFixed(0)}/s, ` +
          `acknowledge p50 ${pct(ack.latencies, 0.5).toFixed(1)} ms, raw update p50 ${pct(rawUpdate.latencies, 0.5).toFixed(1)} ms, queue ${pct(queueCpu.result, 0.5).toFixed(0)} ms`,
      );
      await idle();
    }

    const perCached = (r: Level, prev: Level | undefined, which: 'load' | 'rawLoad') =>
      prev && r[which].cachedWorkflows > prev[which].cachedWorkflows ? ((r[which].rss - prev[which].rss) / (r[which].cachedWorkflows - prev[which].cachedWorkflows) / 1024).toFixed(1) : '–';
    const rows = results.map((r, k) => {
      const prev = results[k - 1];
      return [
        r.open,
        r.load.cachedWorkflows,
        (r.load.rss / MiB).toFixed(0),
        (r.load.heapUsed / MiB).toFixed(0),
        perCached(r, prev, 'load'),
        (r.rawLoad.rss / MiB).toFixed(0),
        perCached(r, prev, 'rawLoad'),
        (alerts / r.firebreak.seconds).toFixed(0),
        pct(r.firebreak.latencies, 0.5).toFixed(1),
        pct(r.firebreak.latencies, 0.99).toFixed(1),
        (alerts / r.raw.seconds).toFixed(0),
        pct(r.raw.latencies, 0.5).toFixed(1),
        pct(r.raw.latencies, 0.99).toFixed(1),
        ratio(r.raw.seconds, r.firebreak.seconds),
      ];
    });
    const decisionRows = results.map((r) => [
      r.open,
      pct(r.ack.latencies, 0.5).toFixed(1),
      pct(r.ack.latencies, 0.99).toFixed(1),
      pct(r.rawUpdate.latencies, 0.5).toFixed(1),
      pct(r.rawUpdate.latencies, 0.99).toFixed(1),
      ratio(pct(r.ack.latencies, 0.5), pct(r.rawUpdate.latencies, 0.5)),
      ratio(pct(r.ack.latencies, 0.99), pct(r.rawUpdate.latencies, 0.99)),
      pct(r.queue, 0.5).toFixed(0),
      r.queue.at(-1)!.toFixed(0),
      r.queueRows,
    ]);
    const roles: ProcessRole[] = ['API', 'worker', 'Temporal', 'PostgreSQL', 'load generator'];
    const cpuRow = (level: number | string, what: string, cpu: Cpu) => [level, what, ...roles.map((role) => cpu.cores[role].toFixed(2)), Object.values(cpu.cores).reduce((a, b) => a + b, 0).toFixed(2), cpu.machineCores.toFixed(2)];
    const cpuRows = results.flatMap((r) => [
      ...(r.opening ? [cpuRow(r.open, `opening ${r.opening.count} incidents (intake and settling)`, r.opening.cpu)] : []),
      cpuRow(r.open, 'Firebreak intake', r.cpu.intake),
      cpuRow(r.open, 'raw signalWithStart', r.cpu.rawIntake),
      cpuRow(r.open, 'decisions (both paths)', r.cpu.decisions),
      cpuRow(r.open, 'queue reads', r.cpu.queue),
    ]);
    const first = results[0]!;
    const last = results.at(-1)!;
    const overall = last.load.cachedWorkflows > first.load.cachedWorkflows ? (last.load.rss - first.load.rss) / (last.load.cachedWorkflows - first.load.cachedWorkflows) / 1024 : NaN;
    const overallRaw = last.rawLoad.cachedWorkflows > first.rawLoad.cachedWorkflows ? (last.rawLoad.rss - first.rawLoad.rss) / (last.rawLoad.cachedWorkflows - first.rawLoad.cachedWorkflows) / 1024 : NaN;
    console.log(
      [
        `M4 open incidents — levels ${levels.join(' / ')}, intake ${alerts} alerts over ${KEYS} fresh keys per level, concurrency ${concurrency}; ${decisions} acknowledges per level (concurrency 1, ${DECISION_ROUNDS} rounds); API in its own process; worker maxCachedWorkflows ${maxCachedWorkflows}; ${machine()}`,
        '',
        table(
          ['incidents open', 'workflows cached', 'worker RSS MiB', 'worker main heap MiB', 'RSS KiB per cached workflow (vs row above)', 'raw worker RSS MiB', 'raw KiB per cached trivial workflow', 'Firebreak alerts/s', 'p50 ms', 'p99 ms', 'raw alerts/s', 'p50 ms', 'p99 ms', 'ratio (Firebreak / raw throughput)'],
          rows,
        ),
        '',
        table(['incidents open', 'acknowledge p50 ms', 'p99 ms', 'raw executeUpdate p50 ms', 'p99 ms', 'ratio p50', 'ratio p99', `queue page p50 ms (of ${QUEUE_READS})`, 'max ms', 'rows'], decisionRows),
        '',
        `CPU in cores during each phase (CPU seconds per second, from /proc; every thread, PostgreSQL's backends; "worker" is the incident worker and the raw worker together; the whole machine includes processes other than the benchmark's), of ${os.cpus().length}:`,
        '',
        table(['incidents open', 'phase', ...roles, 'benchmark total', 'whole machine busy'], cpuRows),
        '',
        ...results
          .filter((r) => r.opening)
          .map((r) => `opening ${r.opening!.count} incidents for level ${r.open}: ${r.opening!.seconds.toFixed(1)} s of intake (${(r.opening!.count / r.opening!.seconds).toFixed(0)}/s), every one in the read model after ${r.opening!.settledSeconds.toFixed(1)} s`),
        '',
        `worker memory per cached workflow, first level to last: ${overall.toFixed(1)} KiB of RSS (raw trivial workflows: ${overallRaw.toFixed(1)} KiB)`,
        `intake at ${last.open} open / at ${first.open} open: Firebreak ${ratio(first.firebreak.seconds, last.firebreak.seconds)}, raw ${ratio(first.raw.seconds, last.raw.seconds)}`,
        `acknowledge p99 at ${last.open} open / at ${first.open} open: Firebreak ${ratio(pct(last.ack.latencies, 0.99), pct(first.ack.latencies, 0.99))}, raw ${ratio(pct(last.rawUpdate.latencies, 0.99), pct(first.rawUpdate.latencies, 0.99))}; queue page p50 ${ratio(pct(last.queue, 0.5), pct(first.queue, 0.5))}`,
      ].join('\n'),
    );
  } finally {
    for (const s of stops.reverse()) await s().catch((err: unknown) => console.error(err));
    await stack.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
