/**
 * M7 replicas: M2's storm and M3's acknowledges with 1 API process + 1 worker process, then with
 * 2 + 2, against one Temporal server and one PostgreSQL, in one run. The API replicas are
 * `dist/src/api/server.js` processes configured from the environment as in production (default
 * rate limits, counted in the shared database); the workers are bench/worker-process.ts processes
 * on one task queue. The load generator sends request i to replica i mod n. Beside each, the raw SDK
 * with as many worker processes: `signalWithStart` to the incident workflow, `executeUpdate` on a
 * trivial workflow. Every alert is checked one by one as in M2: stored once, signalled once in
 * exactly one history, counted once. Then the rate limit across replicas: a key whose role allows
 * 120 requests a minute (admin) sends 200 requests alternating over both replicas; the shared
 * count must accept exactly 120 of them (per replica counting would accept all 200). CPU per
 * process (from /proc) is read during each measured phase, to say which resource runs out.
 *
 *   npm run build && node dist/bench/m7-replicas.js [alerts=10000] [keys=100] [concurrency=32] [decisions=500] [rounds=5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { runChain } from '../src/audit/history-source';
import { ApiKeyStore } from '../src/db/api-key-store';
import type { Decided } from '../src/domain/decisions';
import type { Principal, Role } from '../src/domain/principal';
import { workflowIdFor } from '../src/temporal/contract';
import { incidentWorkflowsPath } from '../src/worker/incident-worker';
import {
  alertsCounted,
  bundleToFile,
  coresLine,
  machine,
  numericArgs,
  pct,
  phase,
  post,
  ratio,
  rawSignalWithStart,
  run,
  sendAlert,
  startApiProcess,
  startStack,
  stopEventRelay,
  table,
  timed,
  trivialWorkflowsPath,
  waitForIncidents,
  waitLoadIdle,
  waitForAlertsCounted,
  withCpu,
  WorkerProcess,
  type ApiProcess,
  type IntakeAnswer,
  type ProcessRole,
  type Timed,
  type WorkerLoad,
} from './harness';
import { bumpUpdate, trivialWorkflow } from './workflows/trivial';

const [alerts = 10_000, keys = 100, concurrency = 32, decisions = 500, rounds = 5] = numericArgs(10_000, 100, 32, 500, 5);
/** Decisions per path before the clock starts (connections, JIT, the first workflow tasks). */
const WARMUP = 20;
/** The admin role's default budget (src/api/rate-limit.ts), and how many requests are sent against it. */
const ADMIN_LIMIT = 120;
const RATE_CHECK_REQUESTS = 200;

interface StormResult {
  intakeSeconds: number;
  settledSeconds: number;
  workflows: number;
  counted: number;
  lost: number;
  duplicated: number;
  events: number;
  cores: Record<ProcessRole, number>;
  machineCores: number;
  perProcess: string;
}

interface Config {
  name: string;
  apis: ApiProcess[];
  workers: WorkerProcess[];
  firebreak?: StormResult;
  raw?: StormResult;
  ack?: Timed;
  rawUpdate?: Timed;
  decisionCores?: Record<ProcessRole, number>;
  decisionMachineCores?: number;
  failures: string[];
}

/** Every run of every workflow: events, and how many times each alert id was signalled. */
async function signalledAlerts(client: Client, workflowIds: string[]): Promise<{ events: number; times: Map<string, number> }> {
  let events = 0;
  const times = new Map<string, number>();
  for (const workflowId of workflowIds) {
    for (const r of await runChain(client, workflowId)) {
      events += r.history.events.length;
      for (const event of r.history.events) {
        const attributes = event.workflowExecutionSignaledEventAttributes as { input?: { payloads?: Array<{ data?: string }> } } | undefined;
        const data = attributes?.input?.payloads?.[0]?.data;
        if (!data) continue;
        const { alertId } = JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { alertId: string };
        times.set(alertId, (times.get(alertId) ?? 0) + 1);
      }
    }
  }
  return { events, times };
}

const describeProcesses = (perProcess: Array<{ pid: number; role: ProcessRole; cores: number }>) =>
  perProcess
    .filter((p) => p.role === 'API' || p.role === 'worker')
    .sort((a, b) => a.role.localeCompare(b.role) || a.pid - b.pid)
    .map((p) => `${p.role} ${p.pid} ${p.cores.toFixed(2)}`)
    .join(', ');

run(async () => {
  const stack = await startStack({ worker: 'child', trivial: true });
  const { client } = stack;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'firebreak-m7-'));
  const started: Array<{ stop(): Promise<void> }> = [];
  try {
    const keyStore = new ApiKeyStore(stack.pool);
    const newKey = async (name: string, role: Role) => (await keyStore.create(name, role)).token;
    const bundles = {
      incident: await bundleToFile(incidentWorkflowsPath(), path.join(folder, 'incident-bundle.js')),
      trivial: await bundleToFile(trivialWorkflowsPath(), path.join(folder, 'trivial-bundle.js')),
    };
    const workerSettings = {
      temporalAddress: stack.temporalAddress,
      databaseUrl: String(stack.pool.options.connectionString),
      taskQueue: stack.taskQueue,
      incidentBundle: bundles.incident,
      trivialQueue: stack.trivialQueue,
      trivialBundle: bundles.trivial,
    };
    const firstWorker = stack.workerProcess!;
    // The event relay runs an activity for ever: without it the workers can be seen idle.
    await stopEventRelay(client, stack.taskQueue, () => firstWorker.load());

    const api1 = await startApiProcess(stack);
    started.push(api1);
    const configs: Config[] = [{ name: '1 API + 1 worker', apis: [api1], workers: [firstWorker], failures: [] }];

    const loadOf = (workers: WorkerProcess[]) => async (): Promise<WorkerLoad> => {
      const loads = await Promise.all(workers.map((w) => w.load()));
      return loads.reduce((a, b) => ({ cachedWorkflows: a.cachedWorkflows + b.cachedWorkflows, busy: a.busy + b.busy, rss: a.rss + b.rss, heapUsed: a.heapUsed + b.heapUsed }));
    };

    const measure = async (c: Config, tag: string) => {
      const check = (ok: boolean, what: string) => void (ok || c.failures.push(what));
      const idle = () => waitLoadIdle(c.name, loadOf(c.workers));
      const integration = await newKey(`m7-${tag}-integration`, 'integration');
      const manager = await newKey(`m7-${tag}-manager`, 'manager');

      // Firebreak storm, round-robin over the replicas.
      const prefix = `m7-${tag}-`;
      const answers: IntakeAnswer[] = [];
      const incidents = () => [...new Set(answers.filter(Boolean).map((a) => a.incidentId))].map(workflowIdFor);
      let intakeSeconds = 0;
      const firebreakRun = await withCpu(() =>
        phase(`firebreak-storm-${tag}`, async () => {
          const intake = await timed(alerts, concurrency, async (i) => {
            answers[i] = await sendAlert(c.apis[i % c.apis.length]!.url, integration, prefix, i, `${prefix}key-${i % keys}`);
          });
          intakeSeconds = intake.seconds;
          await waitForAlertsCounted(`${c.name}: every alert counted`, client, incidents, alerts, 900_000);
        }),
      );
      {
        const { events, times } = await signalledAlerts(client, incidents());
        const { rows: registered } = await stack.pool.query<{ alert_id: string }>('SELECT alert_id FROM alerts WHERE starts_with(source_ref, $1)', [prefix]);
        const inRegister = new Map<string, number>();
        for (const r of registered) inRegister.set(r.alert_id, (inRegister.get(r.alert_id) ?? 0) + 1);
        const counted = await alertsCounted(client, incidents());
        const lost = answers.filter((a) => !inRegister.has(a.alertId) || !times.has(a.alertId)).length;
        const duplicated = [...times.values(), ...inRegister.values()].filter((n) => n > 1).length;
        check(answers.filter(Boolean).length === alerts, `${c.name}: ${alerts} answers of 202`);
        check(answers.filter((a) => !a.deduplicated).length === keys, `${c.name}: exactly ${keys} alerts opened an incident (got ${answers.filter((a) => !a.deduplicated).length})`);
        check(incidents().length === keys, `${c.name}: ${keys} incidents (got ${incidents().length})`);
        check(registered.length === alerts && inRegister.size === alerts, `${c.name}: ${alerts} alert rows, each once (got ${registered.length} rows, ${inRegister.size} ids)`);
        check(counted === alerts, `${c.name}: workflows counted ${alerts} (got ${counted})`);
        check(times.size === alerts && lost === 0 && duplicated === 0, `${c.name}: every alert signalled once (${times.size} distinct, ${lost} lost, ${duplicated} duplicated)`);
        c.firebreak = { intakeSeconds, settledSeconds: firebreakRun.seconds, workflows: incidents().length, counted, lost, duplicated, events, cores: firebreakRun.cores, machineCores: firebreakRun.machineCores, perProcess: describeProcesses(firebreakRun.perProcess) };
        console.error(`${c.name}: Firebreak storm ${(alerts / intakeSeconds).toFixed(0)} alerts/s, settled in ${firebreakRun.seconds.toFixed(1)} s; ${coresLine(firebreakRun.cores)}`);
      }
      await idle();

      // Raw storm: the same signals straight to Temporal, to as many worker processes.
      const rawIds = Array.from({ length: keys }, (_, k) => `raw-${tag}-${k}`);
      let rawIntake = 0;
      const rawRun = await withCpu(() =>
        phase(`raw-storm-${tag}`, async () => {
          rawIntake = (await timed(alerts, concurrency, (i) => rawSignalWithStart(client, stack.taskQueue, `${tag}-${i % keys}`, `r${tag}-`, i))).seconds;
          await waitForAlertsCounted(`${c.name}: raw, every alert counted`, client, () => rawIds, alerts, 900_000);
        }),
      );
      {
        const { events, times } = await signalledAlerts(client, rawIds);
        const counted = await alertsCounted(client, rawIds);
        const lost = Array.from({ length: alerts }, (_, i) => `r${tag}-${i}`).filter((id) => !times.has(id)).length;
        const duplicated = [...times.values()].filter((n) => n > 1).length;
        check(counted === alerts && lost === 0 && duplicated === 0, `${c.name}: raw, every alert once (${counted} counted, ${lost} lost, ${duplicated} duplicated)`);
        c.raw = { intakeSeconds: rawIntake, settledSeconds: rawRun.seconds, workflows: keys, counted, lost, duplicated, events, cores: rawRun.cores, machineCores: rawRun.machineCores, perProcess: describeProcesses(rawRun.perProcess) };
        console.error(`${c.name}: raw storm ${(alerts / rawIntake).toFixed(0)} alerts/s, settled in ${rawRun.seconds.toFixed(1)} s; ${coresLine(rawRun.cores)}`);
      }
      await idle();

      // Decisions: one acknowledge per open, idle incident, round-robin over the replicas, beside a
      // raw executeUpdate on as many open, idle trivial workflows; the paths take turns in rounds.
      const each = WARMUP + decisions;
      const open: string[] = [];
      await timed(each, concurrency, async (i) => {
        open[i] = (await sendAlert(c.apis[i % c.apis.length]!.url, integration, `${prefix}d-`, i, `${prefix}d-key-${i}`)).incidentId;
      });
      await timed(each, concurrency, async (i) => {
        await client.workflow.start(trivialWorkflow, { workflowId: `m7-${tag}-trivial-${i}`, taskQueue: stack.trivialQueue, args: [] });
      });
      await waitForIncidents(stack.pool, `${prefix}d-key-`, each);
      await idle();
      const principal: Principal = { keyId: '0000000000000000', name: 'bench-manager', role: 'manager' };
      const decided: Decided<Record<string, never>> = { principal, decision: {} };
      const paths = [
        async (i: number) => {
          const res = await post(`${c.apis[i % c.apis.length]!.url}/v1/incidents/${open[i]}/acknowledge`, manager, {});
          if (res.status !== 200 || res.body.phase !== 'triage') throw new Error(`acknowledge answered ${res.status}: ${JSON.stringify(res.body)}`);
        },
        async (i: number) => {
          await client.workflow.getHandle(`m7-${tag}-trivial-${i}`).executeUpdate(bumpUpdate, { args: [decided] });
        },
      ];
      for (const p of paths) await timed(WARMUP, 1, p);
      const results: Timed[] = paths.map(() => ({ seconds: 0, latencies: [] }));
      const decisionRun = await withCpu(async () => {
        const chunk = Math.ceil(decisions / rounds);
        for (let start = 0; start < decisions; start += chunk) {
          const n = Math.min(chunk, decisions - start);
          for (const [k, p] of paths.entries()) {
            const r = await phase(`${k === 0 ? 'firebreak' : 'raw'}-decisions-${tag}`, () => timed(n, 1, (i) => p(WARMUP + start + i)));
            results[k]!.seconds += r.seconds;
            results[k]!.latencies.push(...r.latencies);
          }
        }
      });
      for (const r of results) r.latencies.sort((a, b) => a - b);
      [c.ack, c.rawUpdate] = results as [Timed, Timed];
      c.decisionCores = decisionRun.cores;
      c.decisionMachineCores = decisionRun.machineCores;
      console.error(`${c.name}: acknowledge p50 ${pct(c.ack.latencies, 0.5).toFixed(1)} ms, raw executeUpdate p50 ${pct(c.rawUpdate.latencies, 0.5).toFixed(1)} ms`);
      await idle();
    };

    await measure(configs[0]!, 'one');

    // 2 + 2: a second API process and a second worker process on the same queue.
    const api2 = await startApiProcess(stack);
    started.push(api2);
    const secondWorker = await WorkerProcess.start(workerSettings);
    started.push(secondWorker);
    // The new worker started (joined) the event relay again: stop it once more.
    await stopEventRelay(client, stack.taskQueue, loadOf([firstWorker, secondWorker]));
    configs.push({ name: '2 API + 2 workers', apis: [api1, api2], workers: [firstWorker, secondWorker], failures: [] });
    await measure(configs[1]!, 'two');

    // The per-key budget across replicas: 200 requests from a key allowed 120 a minute, alternating.
    const admin = await newKey('m7-rate-admin', 'admin');
    const statuses: number[] = [];
    await timed(RATE_CHECK_REQUESTS, 4, async (i) => {
      const res = await fetch(`${[api1, api2][i % 2]!.url}/v1/incidents?limit=1`, { headers: { authorization: `Bearer ${admin}` } });
      await res.arrayBuffer();
      statuses[i] = res.status;
    });
    const refused = statuses.filter((s) => s === 429).length;
    const accepted = statuses.filter((s) => s !== 429).length;
    const acceptedBy = [0, 1].map((r) => statuses.filter((s, i) => i % 2 === r && s !== 429).length);
    const rateOk = accepted === ADMIN_LIMIT;

    const [one, two] = configs as [Config, Config];
    const stormRow = (c: Config, r: StormResult, path: string) => [
      c.name,
      path,
      r.intakeSeconds.toFixed(1),
      (alerts / r.intakeSeconds).toFixed(0),
      r.settledSeconds.toFixed(1),
      r.workflows,
      r.counted,
      r.lost,
      r.duplicated,
      (r.events / alerts).toFixed(2),
      // Alerts per CPU second of the benchmark's own processes: what a noisy neighbour taking cores away does not move.
      (alerts / (r.settledSeconds * Object.values(r.cores).reduce((a, b) => a + b, 0))).toFixed(0),
    ];
    const decisionRow = (c: Config, t: Timed, path: string) => [c.name, path, (decisions / t.seconds).toFixed(0), pct(t.latencies, 0.5).toFixed(1), pct(t.latencies, 0.99).toFixed(1)];
    const roles: ProcessRole[] = ['API', 'worker', 'Temporal', 'PostgreSQL', 'load generator'];
    const cpuRow = (what: string, cores: Record<ProcessRole, number>, machineCores: number) => [what, ...roles.map((r) => cores[r].toFixed(2)), Object.values(cores).reduce((a, b) => a + b, 0).toFixed(2), machineCores.toFixed(2)];
    const failures = [...one.failures, ...two.failures, ...(rateOk ? [] : [`rate limit: ${accepted} of ${RATE_CHECK_REQUESTS} accepted, not ${ADMIN_LIMIT}`])];
    console.log(
      [
        `M7 replicas — storm of ${alerts} alerts over ${keys} dedup keys at concurrency ${concurrency}; ${decisions} acknowledges per path (after ${WARMUP} unmeasured), concurrency 1, ${rounds} rounds; API processes of dist/src/api/server.js, requests round-robin over them; one Temporal, one PostgreSQL; ${machine()}`,
        '',
        table(
          ['replicas', 'path', 'intake s', 'alerts/s', 'settled s', 'workflows', 'alerts counted', 'lost', 'duplicated', 'events/alert', 'alerts per CPU s (benchmark processes)'],
          [stormRow(one, one.firebreak!, 'Firebreak POST /v1/alerts'), stormRow(one, one.raw!, 'raw signalWithStart'), stormRow(two, two.firebreak!, 'Firebreak POST /v1/alerts'), stormRow(two, two.raw!, 'raw signalWithStart')],
        ),
        '',
        `storm, 2+2 / 1+1: Firebreak alerts/s ${ratio(one.firebreak!.intakeSeconds, two.firebreak!.intakeSeconds)}, settle time ${ratio(two.firebreak!.settledSeconds, one.firebreak!.settledSeconds)}; raw alerts/s ${ratio(one.raw!.intakeSeconds, two.raw!.intakeSeconds)}, settle time ${ratio(two.raw!.settledSeconds, one.raw!.settledSeconds)}`,
        `storm, Firebreak / raw settle time: 1+1 ${ratio(one.firebreak!.settledSeconds, one.raw!.settledSeconds)}, 2+2 ${ratio(two.firebreak!.settledSeconds, two.raw!.settledSeconds)}`,
        'Other processes on the machine take cores away unevenly between the two configurations (run one after the other): when the benchmark total in the CPU table below differs much between them, compare alerts per CPU second, not alerts/s.',
        '',
        table(['replicas', 'path', 'decisions/s', 'p50 ms', 'p99 ms'], [decisionRow(one, one.ack!, 'Firebreak POST /v1/incidents/:id/acknowledge'), decisionRow(one, one.rawUpdate!, 'raw executeUpdate, trivial workflow'), decisionRow(two, two.ack!, 'Firebreak POST /v1/incidents/:id/acknowledge'), decisionRow(two, two.rawUpdate!, 'raw executeUpdate, trivial workflow')]),
        '',
        `decisions, 2+2 / 1+1: Firebreak p50 ${ratio(pct(two.ack!.latencies, 0.5), pct(one.ack!.latencies, 0.5))}, p99 ${ratio(pct(two.ack!.latencies, 0.99), pct(one.ack!.latencies, 0.99))}; raw p50 ${ratio(pct(two.rawUpdate!.latencies, 0.5), pct(one.rawUpdate!.latencies, 0.5))}, p99 ${ratio(pct(two.rawUpdate!.latencies, 0.99), pct(one.rawUpdate!.latencies, 0.99))}`,
        `decisions, Firebreak / raw: 1+1 p50 ${ratio(pct(one.ack!.latencies, 0.5), pct(one.rawUpdate!.latencies, 0.5))}, p99 ${ratio(pct(one.ack!.latencies, 0.99), pct(one.rawUpdate!.latencies, 0.99))}; 2+2 p50 ${ratio(pct(two.ack!.latencies, 0.5), pct(two.rawUpdate!.latencies, 0.5))}, p99 ${ratio(pct(two.ack!.latencies, 0.99), pct(two.rawUpdate!.latencies, 0.99))}`,
        '',
        `CPU in cores (CPU seconds per second of the phase, from /proc; every thread, and PostgreSQL's backends; the whole machine's busy time includes processes other than the benchmark's), of ${os.cpus().length}:`,
        '',
        table(
          ['phase', ...roles, 'benchmark total', 'whole machine busy'],
          [
            cpuRow('1+1 Firebreak storm', one.firebreak!.cores, one.firebreak!.machineCores),
            cpuRow('1+1 raw storm', one.raw!.cores, one.raw!.machineCores),
            cpuRow('1+1 decisions (both paths)', one.decisionCores!, one.decisionMachineCores!),
            cpuRow('2+2 Firebreak storm', two.firebreak!.cores, two.firebreak!.machineCores),
            cpuRow('2+2 raw storm', two.raw!.cores, two.raw!.machineCores),
            cpuRow('2+2 decisions (both paths)', two.decisionCores!, two.decisionMachineCores!),
          ],
        ),
        '',
        `per process, 2+2 Firebreak storm: ${two.firebreak!.perProcess}`,
        `per process, 2+2 raw storm: ${two.raw!.perProcess}`,
        '',
        `rate limit across replicas: an admin key (${ADMIN_LIMIT} a minute) sent ${RATE_CHECK_REQUESTS} requests alternating over 2 API processes: ${accepted} accepted (${acceptedBy.join(' + ')}), ${refused} refused 429 — ${rateOk ? 'one budget in total, not one per replica' : 'NOT the one shared budget'}`,
        '',
        failures.length ? `CHECKS FAILED: ${failures.join('; ')}` : 'checks: on both configurations every alert stored once, signalled once and counted once, none lost; one incident per dedup key; the rate limit shared',
      ].join('\n'),
    );
    if (failures.length) process.exitCode = 1;
  } finally {
    for (const s of started.reverse()) await s.stop().catch((err: unknown) => console.error(err));
    await stack.stop();
    rmSync(folder, { recursive: true, force: true });
  }
});
