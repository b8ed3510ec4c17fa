/**
 * M3 decisions: latency of an acknowledge through `POST /v1/incidents/:id/acknowledge` (a
 * manager's key, an empty body), beside the same update sent straight to the incident workflow,
 * and a raw `executeUpdate` on a trivial workflow on its own task queue of the same server, with
 * and without one no-op activity (scheduled, or local) before it answers, and a raw `executeUpdate`
 * after which the caller writes an acknowledge's publish itself (the same `IncidentRepository.record`
 * the local activity runs): the floor of an API that writes the read model after the update. Every
 * incident and every trivial workflow is open, cached and idle before the clock starts; each takes
 * one decision. The paths take turns in rounds, so a noisy neighbour on the machine weighs on all of
 * them alike. Afterwards each decision's latency is split by its update's history
 * (bench/update-timeline.ts), for all and for the slowest 1 %.
 *
 *   npm run build && node dist/bench/m3-decisions.js [decisions=500] [concurrency=1] [rounds=5]
 */
import type { AuditEntryInput } from '../src/domain/audit-chain';
import type { Decided } from '../src/domain/decisions';
import { acknowledge, type IncidentState } from '../src/domain/incident';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { IncidentRepository } from '../src/db/incident-repository';
import type { Principal } from '../src/domain/principal';
import { workflowIdFor } from '../src/temporal/contract';
import { acknowledgeUpdate } from '../src/workflows/messages';
import { coreLatencies, coreLatencyTable, machine, type BenchStack, numericArgs, parseHistograms, pct, phase, post, ratio, run, sendAlert, startStack, stopEventRelay, table, timed, waitForIncidents, withCpu, type ProcessRole, type Timed } from './harness';
import { meanParts, slowest, UPDATE_PARTS, updateTimes, wallMs, type HistoryEvent, type TimedUpdate } from './update-timeline';
import { bumpUpdate, bumpWithActivityUpdate, bumpWithLocalActivityUpdate, trivialWorkflow } from './workflows/trivial';

const [decisions = 500, concurrency = 1, rounds = 5] = numericArgs(500, 1, 5);
/** Decisions per path before the clock starts (connections, JIT, the first workflow tasks). */
const WARMUP = 20;

/** The share of each path's decisions whose histories say where the tail waited. */
const TAIL_SHARE = 0.01;

/** The tail's threshold: decisions slower than this are counted apart, through the API and inside its update. */
const SLOW_MS = 100;

/**
 * Sum and count of the API's own decision histogram (the time spent waiting on the workflow's
 * update), and how many waited longer than SLOW_MS (one of its bucket bounds).
 */
async function decisionHistogram(apiUrl: string): Promise<{ sum: number; count: number; slow: number }> {
  const histograms = parseHistograms(await (await fetch(`${apiUrl}/metrics`)).text(), (name) => name === 'firebreak_decision_duration_seconds');
  const h = [...histograms].find(([series]) => series.includes('decision=acknowledge') && series.includes('outcome=applied'))?.[1];
  if (!h) return { sum: 0, count: 0, slow: 0 };
  return { sum: h.sum, count: h.count, slow: h.count - (h.buckets.get(SLOW_MS / 1000) ?? 0) };
}

/** Each call with its update's times from its workflow's history (read once per workflow), after the clock has stopped. */
async function splitByHistory(
  client: BenchStack['client'],
  paths: Array<{ update: string }>,
  calls: Array<Array<{ workflowId: string; sentMs: number; doneMs: number }>>,
): Promise<{ timed: TimedUpdate[][]; missing: number }> {
  const histories = new Map<string, Promise<HistoryEvent[]>>();
  const history = (workflowId: string) => {
    if (!histories.has(workflowId)) histories.set(workflowId, client.workflow.getHandle(workflowId).fetchHistory().then((h) => h.events ?? []));
    return histories.get(workflowId)!;
  };
  let missing = 0;
  const timedUpdates = paths.map(() => [] as TimedUpdate[]);
  for (const [k, p] of paths.entries()) {
    const list = calls[k]!;
    await timed(list.length, 32, async (j) => {
      const call = list[j]!;
      const times = updateTimes(await history(call.workflowId), p.update);
      if (times) timedUpdates[k]!.push({ ...call, ...times });
      else missing += 1;
    });
  }
  return { timed: timedUpdates, missing };
}

run(async () => {
  const stack = await startStack({ trivial: true });
  const { client } = stack;
  try {
    const integration = await stack.key('integration');
    const manager = await stack.key('manager');
    const each = WARMUP + decisions;

    // Three incidents per decision: one acknowledged over HTTP, one by an update sent straight to
    // it, and one whose read model the floor path below writes after its raw update.
    const incidents: string[] = [];
    const incidentWorkflow = (i: number) => workflowIdFor(incidents[i]!);
    const trivial = (i: number) => `m3-trivial-${i}`;
    await timed(3 * each, 32, async (i) => {
      incidents[i] = (await sendAlert(stack.api.url, integration, 'm3-', i, `m3-key-${i}`)).incidentId;
    });
    // Two trivial workflows per decision: one takes each raw update, the other the floor's.
    await timed(2 * each, 32, async (i) => {
      await client.workflow.start(trivialWorkflow, { workflowId: trivial(i), taskQueue: stack.trivialQueue, args: [] });
    });
    await waitForIncidents(stack.pool, 'm3-key-', 3 * each);
    // The event relay's endless activity would keep the worker from ever looking idle.
    await stopEventRelay(client, stack.taskQueue, () => stack.workerLoad());

    const principal: Principal = { keyId: '0000000000000000', name: 'bench-manager', role: 'manager' };
    const decided: Decided<Record<string, never>> = { principal, decision: {} };
    // The floor's write: what an acknowledge's publish records (its state, by the domain's own rule
    // and the default policy the bench's API runs, and its three entries: the decision, the page,
    // the new phase), for incidents the other paths do not touch.
    const repository = new IncidentRepository(stack.pool);
    const { rows: opened } = await stack.pool.query<{ state: IncidentState }>('SELECT state FROM incidents WHERE incident_id = ANY($1)', [incidents.slice(2 * each)]);
    const floorStates = new Map(opened.map((r) => [r.state.incidentId, r.state]));
    const writeAcknowledge = (incidentId: string) => {
      const now = new Date();
      const state = acknowledge(floorStates.get(incidentId)!, principal, DEFAULT_POLICY, now);
      const at = now.toISOString();
      const entry = (entryKey: string, action: string, details: Record<string, unknown>): AuditEntryInput => ({ entryKey, at, actor: principal.name, actorRole: principal.role, action, outcome: 'applied', details });
      return repository.record(state, [
        entry(`decision:m3-floor-${incidentId}`, 'acknowledge', { keyId: principal.keyId, decision: {} }),
        entry('page:0:acknowledge', 'notify', { level: 0, cause: 'acknowledge' }),
        entry('phase:triage', 'enter_phase', { phase: 'triage', severity: state.severity }),
      ]);
    };
    // Each path's workflow for decision i, and the update it sends there (a trivial workflow takes one of each raw update).
    const paths: Array<{ name: string; offset: number; workflowId: (i: number) => string; update: string; task: (i: number) => Promise<void> }> = [
      {
        name: 'Firebreak POST /v1/incidents/:id/acknowledge',
        offset: 0,
        workflowId: incidentWorkflow,
        update: acknowledgeUpdate.name,
        task: async (i) => {
          const res = await post(`${stack.api.url}/v1/incidents/${incidents[i]}/acknowledge`, manager, {});
          if (res.status !== 200 || res.body.phase !== 'triage') throw new Error(`acknowledge answered ${res.status}: ${JSON.stringify(res.body)}`);
        },
      },
      {
        name: 'executeUpdate acknowledge on the incident workflow (no API)',
        offset: each,
        workflowId: incidentWorkflow,
        update: acknowledgeUpdate.name,
        task: async (i) => {
          const state = await client.workflow.getHandle(incidentWorkflow(i)).executeUpdate(acknowledgeUpdate, { args: [decided] });
          if (state.phase !== 'triage') throw new Error(`incident ${incidents[i]} is in ${state.phase}`);
        },
      },
      {
        name: 'raw executeUpdate, trivial workflow',
        offset: 0,
        workflowId: trivial,
        update: bumpUpdate.name,
        task: async (i) => {
          await client.workflow.getHandle(trivial(i)).executeUpdate(bumpUpdate, { args: [decided] });
        },
      },
      {
        name: 'raw executeUpdate + 1 no-op activity, trivial workflow',
        offset: 0,
        workflowId: trivial,
        update: bumpWithActivityUpdate.name,
        task: async (i) => {
          await client.workflow.getHandle(trivial(i)).executeUpdate(bumpWithActivityUpdate, { args: [decided] });
        },
      },
      {
        name: 'raw executeUpdate + 1 no-op local activity, trivial workflow',
        offset: 0,
        workflowId: trivial,
        update: bumpWithLocalActivityUpdate.name,
        task: async (i) => {
          await client.workflow.getHandle(trivial(i)).executeUpdate(bumpWithLocalActivityUpdate, { args: [decided] });
        },
      },
      {
        name: "raw executeUpdate, then the caller writes an acknowledge's publish",
        offset: each,
        workflowId: trivial,
        update: bumpUpdate.name,
        task: async (i) => {
          await client.workflow.getHandle(trivial(i)).executeUpdate(bumpUpdate, { args: [decided] });
          await writeAcknowledge(incidents[each + i]!);
        },
      },
    ];

    for (const p of paths) await timed(WARMUP, concurrency, (i) => p.task(p.offset + i));
    const before = await decisionHistogram(stack.api.url);
    const coreBefore = await coreLatencies();
    const results: Timed[] = paths.map(() => ({ seconds: 0, latencies: [] }));
    // CPU seconds each path cost, by role: where a decision's work lands on the shared cores.
    const cpu = paths.map(() => new Map<ProcessRole, number>());
    // Each measured call's workflow and the caller's clock readings, for the histories' split below.
    const calls = paths.map(() => [] as Array<{ workflowId: string; sentMs: number; doneMs: number }>);
    const chunk = Math.ceil(decisions / rounds);
    for (let start = 0; start < decisions; start += chunk) {
      const n = Math.min(chunk, decisions - start);
      for (const [k, p] of paths.entries()) {
        const { result: r, cpuSeconds } = await withCpu(() =>
          phase(p.name, () =>
            timed(n, concurrency, async (i) => {
              const index = p.offset + WARMUP + start + i;
              const sentMs = wallMs();
              await p.task(index);
              calls[k]!.push({ workflowId: p.workflowId(index), sentMs, doneMs: wallMs() });
            }),
          ),
        );
        results[k]!.seconds += r.seconds;
        results[k]!.latencies.push(...r.latencies);
        for (const [role, s] of Object.entries(cpuSeconds) as Array<[ProcessRole, number]>) cpu[k]!.set(role, (cpu[k]!.get(role) ?? 0) + s);
      }
    }
    const cpuMs = (k: number, role: ProcessRole) => ((cpu[k]!.get(role) ?? 0) * 1000) / decisions;
    const cpuRoles: ProcessRole[] = ['load generator', 'Temporal', 'PostgreSQL'];
    for (const r of results) r.latencies.sort((a, b) => a - b);
    const after = await decisionHistogram(stack.api.url);
    const coreAfter = await coreLatencies();
    const insideUpdateMs = ((after.sum - before.sum) / Math.max(after.count - before.count, 1)) * 1000;
    const split = await splitByHistory(client, paths, calls);

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    /** One path's p50 and p99 against another's. */
    const ratios = (a: Timed, b: Timed) => `p50 ${ratio(pct(a.latencies, 0.5), pct(b.latencies, 0.5))}, p99 ${ratio(pct(a.latencies, 0.99), pct(b.latencies, 0.99))}`;
    const [firebreak, direct, raw, rawActivity, rawLocal, rawThenWrite] = results as [Timed, Timed, Timed, Timed, Timed, Timed];
    console.log(
      [
        `M3 decisions — ${decisions} acknowledges per path (after ${WARMUP} unmeasured), concurrency ${concurrency}, ${rounds} rounds, ${machine()}`,
        '',
        table(
          ['path', 'decisions/s', 'p50 ms', 'p99 ms', 'mean ms'],
          results.map((r, k) => [paths[k]!.name, (decisions / r.seconds).toFixed(0), pct(r.latencies, 0.5).toFixed(1), pct(r.latencies, 0.99).toFixed(1), mean(r.latencies).toFixed(1)]),
        ),
        '',
        `CPU per decision, ms (the load generator runs the API, the worker and the clients; a phase's CPU counts everything that ran meanwhile):`,
        '',
        table(
          ['path', ...cpuRoles, 'total'],
          paths.map((p, k) => [p.name, ...cpuRoles.map((role) => cpuMs(k, role).toFixed(1)), cpuRoles.reduce((sum, role) => sum + cpuMs(k, role), 0).toFixed(1)]),
        ),
        '',
        `Of Firebreak's mean ${mean(firebreak.latencies).toFixed(1)} ms, the API waited ${insideUpdateMs.toFixed(1)} ms on the workflow's update (its firebreak_decision_duration_seconds histogram).`,
        `Over ${SLOW_MS} ms: ${firebreak.latencies.filter((ms) => ms > SLOW_MS).length} of Firebreak's acknowledges through the API, of which the API waited over ${SLOW_MS} ms on the update ${after.slow - before.slow} times; ${direct.latencies.filter((ms) => ms > SLOW_MS).length} of the same updates without the API.`,
        '',
        `ratio (Firebreak / raw executeUpdate): ${ratios(firebreak, raw)}`,
        `ratio (Firebreak / raw executeUpdate + 1 activity): ${ratios(firebreak, rawActivity)}`,
        `ratio (Firebreak / raw executeUpdate + 1 local activity): ${ratios(firebreak, rawLocal)}`,
        `ratio (raw executeUpdate + 1 local activity / raw executeUpdate): ${ratios(rawLocal, raw)}`,
        `ratio (raw executeUpdate then the caller's write / raw executeUpdate): ${ratios(rawThenWrite, raw)}`,
        `ratio (Firebreak / the same update without the API): ${ratios(firebreak, direct)}`,
        '',
        `Where the time went, from each update's history (ms, means; the slowest ${TAIL_SHARE * 100}% of each path by its caller's latency; ${split.missing} calls without a completed update in their history):`,
        '',
        table(
          ['path', 'decisions', 'latency', ...UPDATE_PARTS],
          paths.flatMap((p, k) =>
            (
              [
                ['all', split.timed[k]!],
                [`slowest ${TAIL_SHARE * 100}%`, slowest(split.timed[k]!, TAIL_SHARE)],
              ] as const
            ).map(([which, updates]) => [
              `${p.name}, ${which}`,
              String(updates.length),
              (updates.reduce((sum, u) => sum + u.doneMs - u.sentMs, 0) / Math.max(updates.length, 1)).toFixed(1),
              ...meanParts(updates).map((ms) => ms.toFixed(1)),
            ]),
          ),
        ),
        ...(coreBefore && coreAfter ? ['', `The core's own latencies over the measured decisions of every path (FIREBREAK_BENCH_CORE_METRICS):`, '', coreLatencyTable(coreBefore, coreAfter)] : []),
      ].join('\n'),
    );
  } finally {
    await stack.stop();
  }
});
