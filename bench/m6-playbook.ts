/**
 * M6 playbooks: issue 12's measured figures for a playbook of 40 steps in 10 parallel branches of 4,
 * each beside the raw SDK in the same run where a raw counterpart exists.
 *
 * 1. Wall time of the playbook run: from `POST /v1/incidents/:id/assessment` naming the playbook
 *    until the read model shows the incident in review, beside a raw workflow that runs 40 no-op
 *    activities in 10 parallel branches of 4 (start to result). The paths take turns, one run each.
 * 2. History events per step: the incident's events from the accepted assessment to the review's
 *    first notice, divided by 40, beside the raw workflow's events per activity.
 * 3. Worker memory per cached incident parked on an open human task (the same playbook, its last
 *    step a task): the worker process's RSS after a GC before and after a batch of them, divided by
 *    the cache's growth (M4's measure), beside raw workflows parked on a signal in a worker process
 *    of their own. A first, unmeasured batch takes the workers' one-time growth.
 * 4. 90 days on the time-skipping test server: an incident with the parked playbook and a task due
 *    in 100 days, reminded daily, skipped a day at a time. Every run must end in a clean
 *    continue-as-new, the task must still be open with its reminders counted, the incident must
 *    answer its state query, and the task can then be completed. The worker runs without the event
 *    relay (its minute-long activity keeps the test server from skipping time), and the playbook
 *    contains and collects evidence, so no stage SLA pages while the run continues as new. The
 *    scenario `sla-pages` runs figure 4 alone with an incident whose SLAs do page, to show where
 *    the test server's clock stops (RESULTS.md, 2026-12-03).
 *
 * Every incident has one address asset, so the playbook's `contain` and `collect_evidence` steps run
 * one dry-run adapter activity each, like its 38 `notify` steps: 40 steps, 40 adapter activities.
 * The event relays are stopped first: their endless activity keeps a worker from ever being idle.
 *
 *   npm run build && node dist/bench/m6-playbook.js [runs=5] [parked=200] [days=90] [scenario=quiet|sla-pages]
 */
import { decisionSigningInterceptor } from '../src/decision-keys';
import { benchDecisionKeys } from './decision-keys';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { msToTs } from '@temporalio/common/lib/time';
import { eventMs, type HistoryEvent } from './update-timeline';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DEFAULT_POLICY } from '../src/domain/policy';
import { validatePlaybook } from '../src/domain/playbook';
import { playbookDigest } from '../src/domain/playbook-digest';
import type { PinnedPlaybook } from '../src/domain/playbook-run';
import type { Principal } from '../src/domain/principal';
import { temporalTestServerPath } from '../src/temporal/binaries';
import { CONTINUE_AS_NEW_AFTER_EVENTS, workflowIdFor } from '../src/temporal/contract';
import { registerSearchAttributes } from '../src/temporal/register-search-attributes';
import { createIncidentWorker, incidentWorkflowsPath } from '../src/worker/incident-worker';
import { acknowledgeUpdate, alertSignal, assessUpdate, completeTaskUpdate, stateQuery, type IncidentWorkflowInput } from '../src/workflows/messages';
import {
  bundleToFile,
  machine,
  memoryPerCachedWorkflow,
  numericArgs,
  pct,
  phase,
  post,
  ratio,
  run,
  startBaselineWorkerProcess,
  startStack,
  stopEventRelay,
  table,
  timed,
  waitLoadIdle,
  waitUntil,
  withTimeout,
  type BenchStack,
  type WorkerLoad,
  type WorkerProcess,
} from './harness';
import { branchesWorkflow, progressQuery, releaseSignal } from './workflows/playbook-shape';

const [runs = 5, parked = 200, days = 90] = numericArgs(5, 200, 90);
const SCENARIOS = ['quiet', 'sla-pages'] as const;
type Scenario = (typeof SCENARIOS)[number];
const scenario = (process.argv[5] ?? 'quiet') as Scenario;
if (!SCENARIOS.includes(scenario)) throw new Error(`the fourth argument is a scenario, one of ${SCENARIOS.join(', ')}; not ${scenario}`);
/** Parked workflows opened before the measured batch, to take the worker's one-time growth. */
const firstBatch = Math.max(50, Math.round(parked / 4));
const BRANCHES = 10;
const DEPTH = 4;
const STEPS = BRANCHES * DEPTH;
const DAY = 86_400_000;
/** Real time a skipped day may take: under a second when the server skips, a day when it has stopped. */
const DAY_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;
const ASSET = { kind: 'address', id: '203.0.113.7' } as const;
/** The step the parked variant leaves open: the last of the last branch. */
const PARKED_TASK = `b${BRANCHES - 1}-${DEPTH}`;
const BASELINE_QUEUE = 'bench-m6-raw';

const EventType = temporal.api.enums.v1.EventType;

/**
 * Ten branches of four steps, `b<branch>-<step>`, each step needing the one before it. The first
 * steps of branches 0 and 1 contain and collect evidence (which ends the stage SLAs); every other
 * step notifies. The parked variants make the last step of the last branch a human task due in 100
 * days, reminded daily; `parked-notify-only` notifies instead of containing and collecting, so the
 * stage SLAs keep paging.
 */
function branchesPlaybook(name: string, variant: 'run' | 'parked' | 'parked-notify-only') {
  const steps = [];
  for (let b = 0; b < BRANCHES; b++) {
    for (let k = 1; k <= DEPTH; k++) {
      const id = `b${b}-${k}`;
      const needs = k > 1 ? { needs: [`b${b}-${k - 1}`] } : {};
      if (variant !== 'run' && id === PARKED_TASK) {
        steps.push({ id, kind: 'task', title: 'Sign off the response', instructions: 'Check every branch and sign off.', owner: { role: 'responder' }, due: '100d', remindEvery: '1d', ...needs });
      } else {
        const stages = variant !== 'parked-notify-only';
        const action = stages && k === 1 && b === 0 ? 'contain' : stages && k === 1 && b === 1 ? 'collect_evidence' : 'notify';
        steps.push({ id, kind: 'action', action, title: `Step ${k} of branch ${b}`, ...needs });
      }
    }
  }
  return { name, version: 1, title: `${STEPS} steps in ${BRANCHES} parallel branches`, steps };
}

/** The playbook pinned as the API pins it, for incidents on the time-skipping server (no API there). */
function pinned(source: unknown): PinnedPlaybook {
  const checked = validatePlaybook(source);
  if (!checked.ok) throw new Error(`the bench playbook is invalid: ${JSON.stringify(checked.issues)}`);
  return { name: checked.playbook.name, version: checked.playbook.version, digest: playbookDigest(checked.playbook), playbook: checked.playbook, chosen: 'named' };
}

const assessment = (playbook: string) => ({ severity: 'medium', category: 'bench', strategy: 'contain_first', externalAssistance: false, playbook: { name: playbook, version: 1 } });

/** Every run of a workflow from `firstRunId` on, following continue-as-new, as their events. */
async function runChain(client: Client, workflowId: string, firstRunId: string): Promise<HistoryEvent[][]> {
  const chain: HistoryEvent[][] = [];
  let runId: string | undefined = firstRunId;
  while (runId) {
    const events: HistoryEvent[] = (await client.workflow.getHandle(workflowId, runId).fetchHistory()).events ?? [];
    chain.push(events);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return chain;
}

const firstArg = (e: HistoryEvent): Record<string, unknown> | undefined => {
  const data = e.activityTaskScheduledEventAttributes?.input?.payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
};
/** An event in a line: its type, and what it schedules, fires or fails. */
const describeEvent = (e: HistoryEvent) => {
  const scheduled = e.activityTaskScheduledEventAttributes;
  if (scheduled) return `${typeName(e)} ${scheduled.activityType?.name}${scheduled.activityType?.name === 'notify' ? ` (${String(firstArg(e)?.['kind'])})` : ''}`;
  if (e.timerStartedEventAttributes) return `${typeName(e)} ${e.timerStartedEventAttributes.timerId} (${Number(e.timerStartedEventAttributes.startToFireTimeout?.seconds ?? 0)} s)`;
  if (e.timerFiredEventAttributes) return `${typeName(e)} ${e.timerFiredEventAttributes.timerId}`;
  if (e.workflowTaskFailedEventAttributes) return `${typeName(e)} (${temporal.api.enums.v1.WorkflowTaskFailedCause[e.workflowTaskFailedEventAttributes.cause ?? 0]})`;
  return typeName(e);
};
const typeName = (e: HistoryEvent) => (EventType[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', '');

interface ResponseWindow {
  events: number;
  /** Bytes of activity input the window scheduled (the states published, the notices sent). */
  inputBytes: number;
  /** Server time from the accepted assessment to the review's first notice. */
  spanMs: number;
  /** Events in the window by type, most first. */
  byType: Array<[string, number]>;
  runs: number;
}

/** The incident's response in its history: from the accepted assessment to the review's first notice. */
function responseWindow(chain: HistoryEvent[][]): ResponseWindow {
  const events = chain.flat();
  const start = events.findIndex((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED && e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name === assessUpdate.name);
  const end = events.findIndex((e, i) => i > start && e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify' && firstArg(e)?.['kind'] === 'review_scheduled');
  if (start < 0 || end < 0) throw new Error(`no response window in the history (assessment at ${start}, review notice at ${end})`);
  const counts = new Map<string, number>();
  for (const e of events.slice(start, end)) counts.set(typeName(e), (counts.get(typeName(e)) ?? 0) + 1);
  const inputBytes = events
    .slice(start, end)
    .flatMap((e) => e.activityTaskScheduledEventAttributes?.input?.payloads ?? [])
    .reduce((n, p) => n + (p.data?.length ?? 0), 0);
  return { events: end - start, inputBytes, spanMs: eventMs(events[end]!) - eventMs(events[start]!), byType: [...counts].sort((a, b) => b[1] - a[1]), runs: chain.length };
}

interface ChainCheck {
  runs: number;
  eventsPerRun: number[];
  /** Runs that ended in anything but continue-as-new, other than the last (still running). */
  unclean: number;
  /** Workflow task failures and time-outs (a refused completion shows as a failure). */
  taskFailures: number;
  /** Activities a closed run left unfinished: scheduled or running when it continued as new. */
  orphanedActivities: string[];
}

function checkChain(chain: HistoryEvent[][]): ChainCheck {
  const orphaned: string[] = [];
  let taskFailures = 0;
  let unclean = 0;
  chain.forEach((events, r) => {
    const finished = new Set(
      events.flatMap((e) => {
        const end = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes ?? e.activityTaskCanceledEventAttributes;
        return end ? [String(end.scheduledEventId)] : [];
      }),
    );
    const started = new Set(events.flatMap((e) => (e.activityTaskStartedEventAttributes ? [String(e.activityTaskStartedEventAttributes.scheduledEventId)] : [])));
    for (const e of events) {
      if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED || e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) taskFailures += 1;
      if (r < chain.length - 1 && e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED && !finished.has(String(e.eventId))) {
        orphaned.push(`run ${r + 1}: ${describeEvent(e)}, ${started.has(String(e.eventId)) ? 'running' : 'never started'}`);
      }
    }
    if (r < chain.length - 1 && events.at(-1)?.eventType !== EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW) unclean += 1;
  });
  return { runs: chain.length, eventsPerRun: chain.map((e) => e.length), unclean, taskFailures, orphanedActivities: orphaned };
}

/**
 * With FIREBREAK_BENCH_HEAP_DIR set, heap snapshots of a worker process's workflow threads after
 * each batch of parked workflows, for bench/heap-summary.ts. A snapshot collects garbage and takes
 * memory of its own, so the RSS figures of such a run are not the benchmark's.
 */
async function heapSnapshots(worker: WorkerProcess | undefined, label: string): Promise<void> {
  const dir = process.env.FIREBREAK_BENCH_HEAP_DIR;
  if (!dir || !worker) return;
  const files = await worker.heapSnapshots(path.join(dir, label));
  console.error(`heap snapshots ${label}: ${files.join(', ')}`);
}

const median = (xs: number[]) => pct([...xs].sort((a, b) => a - b), 0.5);
const fmt = (ms: number) => (ms / 1000).toFixed(2);
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' / ');

run(async () => {
  const loadAtStart = load();
  const work = mkdtempSync(path.join(os.tmpdir(), 'firebreak-m6-'));
  // Whatever ends the process (a failure exits at once), the baseline worker dies and the bundles go.
  let baselineProcess: WorkerProcess | undefined;
  const onExit = () => {
    baselineProcess?.killNow();
    rmSync(work, { recursive: true, force: true });
  };
  process.on('exit', onExit);
  const cache = firstBatch + 2 * parked + runs + 100;
  const stack = await startStack({ worker: 'child', maxCachedWorkflows: cache });
  const incidentBundle = await bundleToFile(incidentWorkflowsPath(), path.join(work, 'incident-bundle.js'));
  // heap-summary names a function's module from the bundle its thread ran.
  if (process.env.FIREBREAK_BENCH_HEAP_DIR) copyFileSync(incidentBundle, path.join(process.env.FIREBREAK_BENCH_HEAP_DIR, 'incident-bundle.js'));
  if (scenario === 'sla-pages') {
    try {
      const lines = await skipDays(stack, incidentBundle, scenario);
      console.log([`M6 playbooks, figure 4 alone, scenario sla-pages — ${days} days skipped, ${machine()}, load average ${loadAtStart} at the start and ${load()} at the end`, '', ...lines].join('\n'));
    } finally {
      await stack.stop();
      rmSync(work, { recursive: true, force: true });
    }
    return;
  }
  const baselineBundle = await bundleToFile(require.resolve('./workflows/playbook-shape'), path.join(work, 'baseline-bundle.js'));
  // Neither worker is ever idle while the event relay runs its endless activity: stop it, and wait.
  const [baseline] = await Promise.all([
    startBaselineWorkerProcess(stack, { incidentBundle, baselineBundle, queue: BASELINE_QUEUE, maxCachedWorkflows: cache }).then((started) => (baselineProcess = started)),
    stopEventRelay(stack.client, stack.taskQueue, () => stack.workerLoad()),
  ]);
  const { client, pool } = stack;
  try {
    const admin = await stack.key('admin');
    const integration = await stack.key('integration');
    const manager = await stack.key('manager');
    for (const variant of ['run', 'parked'] as const) {
      const res = await post(`${stack.api.url}/v1/admin/playbooks`, admin, { format: 'json', source: JSON.stringify(branchesPlaybook(`m6-${variant}`, variant)) });
      if (res.status !== 200) throw new Error(`storing playbook m6-${variant} answered ${res.status}: ${JSON.stringify(res.body)}`);
    }

    /** Opens an incident with the address asset and acknowledges it; its id and the run it is on. */
    const openAcknowledged = async (key: string): Promise<{ id: string; runId: string }> => {
      const alert = await post(`${stack.api.url}/v1/alerts`, integration, { source: 'bench', sourceRef: key, title: 'Bench playbook incident', severity: 'low', dedupKey: key, assets: [ASSET] });
      if (alert.status !== 202) throw new Error(`intake answered ${alert.status}: ${JSON.stringify(alert.body)}`);
      const id: string = alert.body.incidentId;
      const ack = await post(`${stack.api.url}/v1/incidents/${id}/acknowledge`, manager, {});
      if (ack.status !== 200) throw new Error(`acknowledge of ${id} answered ${ack.status}: ${JSON.stringify(ack.body)}`);
      return { id, runId: (await client.workflow.getHandle(workflowIdFor(id)).describe()).runId };
    };
    const assess = async (id: string, playbook: string) => {
      const res = await post(`${stack.api.url}/v1/incidents/${id}/assessment`, manager, assessment(playbook));
      if (res.status !== 200 || res.body.phase !== 'response') throw new Error(`assessment of ${id} answered ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
    };
    const phaseOf = async (id: string) => (await pool.query('SELECT phase FROM incidents WHERE incident_id = $1', [id])).rows[0]?.phase as string | undefined;

    // --- 1 and 2: a playbook run to its end, beside the raw shape -------------------------------------
    const rawRun = async (i: number) => {
      const handle = await client.workflow.start(branchesWorkflow, { workflowId: `m6-raw-run-${i}`, taskQueue: BASELINE_QUEUE, args: [{ branches: BRANCHES, depth: DEPTH }] });
      const done = await withTimeout(`raw run ${i}`, 120_000, handle.result());
      if (done !== STEPS) throw new Error(`raw run ${i} did ${done} steps`);
      return handle;
    };
    // One of each first, unmeasured: connections, JIT, the first tasks of each worker.
    const incidents = await Promise.all(Array.from({ length: runs + 1 }, (_, i) => openAcknowledged(`m6-run-${i}`)));
    await stack.waitIdle();
    const fbWall: number[] = [];
    const rawWall: number[] = [];
    const rawHandles = [];
    for (let i = 0; i <= runs; i++) {
      const { id } = incidents[i]!;
      const fb = await phase(`firebreak-run-${i}`, async () => {
        const started = performance.now();
        await assess(id, 'm6-run');
        await waitUntil(`incident ${id} in review after its playbook`, async () => (await phaseOf(id)) === 'review' || `phase ${await phaseOf(id)}`, 180_000, 20);
        return performance.now() - started;
      });
      const raw = await phase(`raw-run-${i}`, async () => {
        const started = performance.now();
        const handle = await rawRun(i);
        return { ms: performance.now() - started, handle };
      });
      console.error(`run ${i}${i === 0 ? ' (warm-up)' : ''}: Firebreak ${fmt(fb)} s, raw ${fmt(raw.ms)} s`);
      if (i === 0) continue;
      fbWall.push(fb);
      rawWall.push(raw.ms);
      rawHandles.push(raw.handle);
    }
    await stack.waitIdle();
    const windows = await Promise.all(incidents.slice(1).map(({ id, runId }) => runChain(client, workflowIdFor(id), runId).then(responseWindow)));
    const rawHistories = await Promise.all(rawHandles.map(async (h) => (await h.fetchHistory()).events ?? []));
    const rawSpans = rawHistories.map((events) => eventMs(events.at(-1)!) - eventMs(events[0]!));
    const rawEvents = rawHistories.map((events) => events.length);

    // --- 3: memory per parked incident, beside raw workflows parked on a signal ------------------------
    // Two batches per population: the first takes the one-time growth (code paths, allocator arenas,
    // the cache's own structures) and the second is measured against it, as M4 compares levels.
    const parkedWhere = `starts_with(i.dedup_key, 'm6-parked-')
      AND (SELECT count(*) FROM jsonb_each(i.state->'playbookRun'->'steps') s WHERE s.value->>'status' = 'done') = ${STEPS - 1}
      AND EXISTS (SELECT 1 FROM incident_tasks t WHERE t.incident_id = i.incident_id AND t.task_id = '${PARKED_TASK}' AND t.status = 'open')`;
    const parkFirebreak = (from: number, n: number) =>
      phase(`firebreak-park-${from}`, async () => {
        const started = performance.now();
        await timed(n, 8, async (i) => {
          const { id } = await openAcknowledged(`m6-parked-${from + i}`);
          await assess(id, 'm6-parked');
        });
        await waitUntil(
          `${from + n} incidents parked on task ${PARKED_TASK}`,
          async () => {
            const count = (await pool.query(`SELECT count(*)::int AS n FROM incidents i WHERE ${parkedWhere}`)).rows[0].n as number;
            return count === from + n || `${count} of ${from + n}`;
          },
          600_000,
          1_000,
        );
        await stack.waitIdle();
        return { seconds: (performance.now() - started) / 1000, load: await stack.workerLoad() };
      });
    const rawParkedIds: string[] = [];
    const parkRaw = (from: number, n: number, inputBytes = 0) =>
      phase(`raw-park-${from}`, async () => {
        const started = performance.now();
        const ids = Array.from({ length: n }, (_, i) => `m6-raw-parked-${from + i}`);
        rawParkedIds.push(...ids);
        await timed(n, 8, async (i) => {
          await client.workflow.start(branchesWorkflow, { workflowId: ids[i]!, taskQueue: BASELINE_QUEUE, args: [{ branches: BRANCHES, depth: DEPTH, parkLast: true, inputBytes }] });
        });
        // Asks only those not yet parked; a query the busy worker could not answer in time asks again.
        const waiting = new Set(ids);
        await waitUntil(
          `${n} raw workflows parked on the signal`,
          async () => {
            await Promise.all(
              [...waiting].map(async (id) => {
                const progress = await client.workflow.getHandle(id).query(progressQuery).catch(() => undefined);
                if (progress === STEPS - 1) waiting.delete(id);
              }),
            );
            return waiting.size === 0 || `${n - waiting.size} of ${n}`;
          },
          600_000,
          1_000,
        );
        await waitLoadIdle('baseline worker', () => baseline.load());
        return { seconds: (performance.now() - started) / 1000, load: await baseline.load() };
      });
    await stack.waitIdle();
    const fbStart = await stack.workerLoad();
    const fbWarm = await parkFirebreak(0, firstBatch);
    await heapSnapshots(stack.workerProcess, 'firebreak-warm');
    const fbParked = await parkFirebreak(firstBatch, parked);
    await heapSnapshots(stack.workerProcess, 'firebreak-parked');
    const stateBytes = (await pool.query(`SELECT avg(length(i.state::text))::int AS bytes FROM incidents i WHERE ${parkedWhere}`)).rows[0].bytes as number;
    await waitLoadIdle('baseline worker', () => baseline.load());
    const rawStart = await baseline.load();
    const rawWarm = await parkRaw(0, firstBatch);
    await heapSnapshots(baseline, 'raw-warm');
    const rawParked = await parkRaw(firstBatch, parked);
    await heapSnapshots(baseline, 'raw-parked');
    // The same shape again, its activities carrying as much input in all as the incident's did in
    // its response (the states it published, the notices it sent): what the payloads cost.
    const matchedInput = Math.round(median(windows.map((w) => w.inputBytes)) / STEPS);
    const rawInputParked = await parkRaw(firstBatch + parked, parked, matchedInput);
    await heapSnapshots(baseline, 'raw-input-parked');
    const fbMemory = memoryPerCachedWorkflow(fbWarm.load, fbParked.load);
    const rawMemory = memoryPerCachedWorkflow(rawWarm.load, rawParked.load);
    const rawInputMemory = memoryPerCachedWorkflow(rawParked.load, rawInputParked.load);
    console.error(
      `parked: Firebreak ${fbMemory.rssKiB.toFixed(1)} KiB RSS per cached incident (${fbMemory.cached} cached), raw ${rawMemory.rssKiB.toFixed(1)} KiB (${rawMemory.cached} cached), raw with inputs ${rawInputMemory.rssKiB.toFixed(1)} KiB (${rawInputMemory.cached} cached)`,
    );
    // Let the raw ones finish: nothing should be left waiting when the stack stops.
    await timed(rawParkedIds.length, 32, (i) => client.workflow.getHandle(rawParkedIds[i]!).signal(releaseSignal));

    // --- 4: 90 days of skipped time --------------------------------------------------------------------
    const skipped = await phase('time-skipping', () => skipDays(stack, incidentBundle, scenario));

    // --- the report --------------------------------------------------------------------------------------
    const fbEvents = windows.map((w) => w.events);
    const memoryRow = (name: string, batch: string, before: WorkerLoad, after: { seconds: number; load: WorkerLoad }) => {
      const m = memoryPerCachedWorkflow(before, after.load);
      return [name, batch, m.cached, (before.rss / MiB).toFixed(0), (after.load.rss / MiB).toFixed(0), m.rssKiB.toFixed(1), m.heapKiB.toFixed(1), after.seconds.toFixed(1)];
    };
    console.log(
      [
        `M6 playbooks — ${STEPS} steps in ${BRANCHES} parallel branches of ${DEPTH}, ${runs} runs per path (after 1 unmeasured), ${parked} parked per population measured (after a first batch of ${firstBatch}), ${days} days skipped, ${machine()}, load average ${loadAtStart} at the start and ${load()} at the end`,
        '',
        '1 and 2: one playbook run to its end',
        '',
        table(
          ['path', 'wall s p50', 'min', 'max', 'in-history span s p50', 'history events p50', 'events per step'],
          [
            ['Firebreak: assessment POST → read model in review', fmt(median(fbWall)), fmt(Math.min(...fbWall)), fmt(Math.max(...fbWall)), fmt(median(windows.map((w) => w.spanMs))), median(fbEvents), (median(fbEvents) / STEPS).toFixed(1)],
            ['raw: 40 no-op activities, 10 branches of 4 (start → result)', fmt(median(rawWall)), fmt(Math.min(...rawWall)), fmt(Math.max(...rawWall)), fmt(median(rawSpans)), median(rawEvents), (median(rawEvents) / STEPS).toFixed(1)],
          ],
        ),
        '',
        `ratio (Firebreak / raw): wall time ${ratio(median(fbWall), median(rawWall))}, history events per step ${ratio(median(fbEvents), median(rawEvents))}`,
        `Firebreak's response window by event type (the median run): ${windows.find((w) => w.events === median(fbEvents))!.byType.map(([t, n]) => `${t} ${n}`).join(', ')}; runs per response: ${[...new Set(windows.map((w) => w.runs))].join(', ')}`,
        '',
        `3: worker memory per cached workflow parked on an open human task (the playbook's last step) or a signal`,
        '',
        table(
          ['population', 'batch', 'cache grew by', 'worker RSS before MiB', 'after MiB', 'RSS KiB per cached workflow', 'main heap KiB per cached workflow', 'opening and settling s'],
          [
            memoryRow('Firebreak incidents, 39 steps done, task open', 'first (one-time growth)', fbStart, fbWarm),
            memoryRow('Firebreak incidents, 39 steps done, task open', 'measured', fbWarm.load, fbParked),
            memoryRow('raw workflows, 39 activities done, waiting on a signal', 'first (one-time growth)', rawStart, rawWarm),
            memoryRow('raw workflows, 39 activities done, waiting on a signal', 'measured', rawWarm.load, rawParked),
            memoryRow(`raw workflows as above, each activity's input ${(matchedInput / 1024).toFixed(1)} KiB`, 'measured', rawParked.load, rawInputParked),
          ],
        ),
        '',
        `ratio (Firebreak / raw RSS per cached workflow): ${ratio(fbMemory.rssKiB, rawMemory.rssKiB)}; beside raw with the same activity input in all: ${ratio(fbMemory.rssKiB, rawInputMemory.rssKiB)}; at most 1 MiB per cached incident: ${fbMemory.rssKiB <= 1024 ? 'yes' : 'NO'}`,
        `a parked incident's state is ${(stateBytes / 1024).toFixed(1)} KiB of JSON in the read model; its response scheduled ${(median(windows.map((w) => w.inputBytes)) / 1024).toFixed(0)} KiB of activity input (the run variant, median)`,
        '',
        `4: ${days} days on the time-skipping test server`,
        '',
        ...skipped,
      ].join('\n'),
    );
  } finally {
    await baseline.stop();
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

/**
 * Figure 4: one incident on the time-skipping test server, run by the real incident worker (its
 * activities write to the stack's PostgreSQL) without the event relay, skipped `days` days a day at
 * a time. Answers the report's lines. In the quiet scenario it throws when a check fails or a day
 * does not pass in time. The sla-pages scenario reproduces what stops the test server's clock: a
 * high-severity incident whose playbook never contains or collects evidence, so both stage SLAs
 * page every 30 minutes while the run continues as new; it reports where the clock stopped.
 */
async function skipDays(stack: BenchStack, incidentBundle: string, scenario: Scenario): Promise<string[]> {
  const quiet = scenario === 'quiet';
  let created: TestWorkflowEnvironment | undefined;
  const signer = benchDecisionKeys().signer.withClock(() => (created ? created.currentTimeMs() : Date.now()));
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: temporalTestServerPath() } },
    client: { interceptors: { workflow: [decisionSigningInterceptor(signer)] } },
  });
  created = env;
  try {
    const testService = env.connection.testService;
    if (!testService) throw new Error('the test environment has no time-skipping service');
    await registerSearchAttributes(env.connection, env.namespace ?? 'default');
    const worker = await createIncidentWorker({
      connection: env.nativeConnection,
      namespace: env.namespace ?? 'default',
      pool: stack.pool,
      taskQueue: 'bench-m6-skip',
      workflowBundle: { codePath: incidentBundle },
      // The relay's activity runs a minute at a time, for ever: while it runs the test server's
      // clock moves at the real clock's speed, and 90 days never come.
      eventRelay: false,
      maxConcurrentReplays: 0,
    });
    return await worker.runUntil(async () => {
      const incidentId = `m6-skip-${scenario}`;
      const manager: Principal = { keyId: 'bench', name: 'bench-manager', role: 'manager' };
      const severity = quiet ? 'medium' : 'high';
      const input: IncidentWorkflowInput = { incidentId, dedupKey: incidentId, title: 'Bench playbook incident', source: 'bench', severity: 'low', policy: DEFAULT_POLICY, continueAsNewAfterEvents: CONTINUE_AS_NEW_AFTER_EVENTS };
      const handle = await env.client.workflow.start('incidentWorkflow', { workflowId: workflowIdFor(incidentId), taskQueue: 'bench-m6-skip', args: [input] });
      const firstRunId = handle.firstExecutionRunId;
      const latest = env.client.workflow.getHandle(workflowIdFor(incidentId));
      const { openedAt } = await handle.query(stateQuery);
      await handle.signal(alertSignal, { alertId: `${incidentId}-a1`, source: 'bench', sourceRef: `${incidentId}-a1`, title: 'Bench playbook incident', severity: 'low', receivedAt: openedAt, assets: [ASSET] });
      await handle.executeUpdate(acknowledgeUpdate, { args: [{ principal: manager, decision: {} }] });
      const playbook = pinned(branchesPlaybook('m6-parked', quiet ? 'parked' : 'parked-notify-only'));
      await handle.executeUpdate(assessUpdate, { args: [{ principal: manager, decision: { severity, category: 'bench', strategy: 'contain_first', externalAssistance: false, playbook } }] });
      // Activities run at the real clock's speed on this server: wait in real time for the task.
      await waitUntil(
        `task ${PARKED_TASK} open on the time-skipping server`,
        async () => {
          const state = await latest.query(stateQuery);
          const done = Object.values(state.playbookRun?.steps ?? {}).filter((s) => s.status === 'done').length;
          return (done === STEPS - 1 && state.tasks?.some((t) => t.taskId === PARKED_TASK && t.status === 'open')) || `${done} steps done`;
        },
        120_000,
        200,
      );

      const diagnosis = async () => {
        const chain = await runChain(env.client, workflowIdFor(incidentId), firstRunId);
        const check = checkChain(chain);
        const described = await latest.describe();
        const lastClosed = chain.at(-2) ?? [];
        return (
          `${check.runs} runs, ${described.historyLength} events in the latest with ${(described.raw.pendingActivities ?? []).length} activities pending, ` +
          `${check.taskFailures} workflow task failures, activities closed runs left unfinished: ${check.orphanedActivities.join(', ') || 'none'}; ` +
          `the last closed run ends ${lastClosed.slice(-12).map(describeEvent).join(', ')}; server time ${new Date(await env.currentTimeMs()).toISOString()}`
        );
      };
      const runIds = [firstRunId];
      const continuedOnDay: number[] = [];
      const dayMs: number[] = [];
      const skipStart = performance.now();
      for (let day = 1; day <= days; day++) {
        const t = performance.now();
        try {
          // env.sleep, with the time-out as the call's deadline: a sleep left pending would be
          // retried against the server after its teardown.
          await env.connection.withDeadline(Date.now() + DAY_TIMEOUT_MS, () => testService.unlockTimeSkippingWithSleep({ duration: msToTs(DAY) }));
        } catch (err) {
          const stopped = `skipping day ${day} of ${days} on the time-skipping server not done after ${DAY_TIMEOUT_MS} ms (${(err as Error).message}): ${await diagnosis()}`;
          if (quiet) throw new Error(stopped);
          return [
            `the test server's clock stopped on day ${day} of ${days}, ${fmt(performance.now() - skipStart)} s into the skip: ${stopped}`,
            `(the worker is Firebreak's incident worker on the stack's PostgreSQL, without the event relay; the incident is high, and its playbook never contains or collects evidence)`,
          ];
        }
        dayMs.push(performance.now() - t);
        const { runId } = await latest.describe();
        if (runId !== runIds.at(-1)) {
          runIds.push(runId);
          continuedOnDay.push(day);
        }
        if (day % 10 === 0) console.error(`day ${day}: ${runIds.length} runs, ${fmt(performance.now() - skipStart)} s so far`);
      }
      const skipMs = performance.now() - skipStart;

      const queryStart = performance.now();
      const state = await latest.query(stateQuery);
      const queryMs = performance.now() - queryStart;
      const task = state.tasks?.find((t) => t.taskId === PARKED_TASK);
      const now = await env.currentTimeMs();
      const expectedReminders = task ? Math.floor((now - Date.parse(task.createdAt)) / DAY) : NaN;
      const row = (await stack.pool.query('SELECT status, (task->>$3)::int AS reminders FROM incident_tasks WHERE incident_id = $1 AND task_id = $2', [incidentId, PARKED_TASK, 'remindersSent'])).rows[0];
      const check = checkChain(await runChain(env.client, workflowIdFor(incidentId), firstRunId));
      const problems = [
        check.runs < 2 && 'the incident never continued as new',
        check.unclean > 0 && `${check.unclean} runs ended other than by continue-as-new`,
        check.taskFailures > 0 && `${check.taskFailures} workflow task failures or time-outs`,
        check.orphanedActivities.length > 0 && `activities closed runs left unfinished: ${check.orphanedActivities.join(', ')}`,
        task?.status !== 'open' && `task ${PARKED_TASK} is ${task?.status ?? 'missing'}`,
        task?.remindersSent !== expectedReminders && `${task?.remindersSent} reminders counted, ${expectedReminders} expected`,
        (task?.overduePages ?? 0) > 0 && `${task?.overduePages} overdue pages`,
        state.phase !== 'response' && `the incident is in ${state.phase}`,
        (row?.status !== 'open' || row?.reminders !== task?.remindersSent) && `the read model has the task ${row?.status} with ${row?.reminders} reminders`,
      ].filter((p): p is string => typeof p === 'string');
      if (problems.length > 0 && quiet) throw new Error(`after ${days} days: ${problems.join('; ')}`);

      // The task is still there to complete: the playbook ends and the review begins.
      const completeStart = performance.now();
      await latest.executeUpdate(completeTaskUpdate, { args: [{ principal: manager, decision: { taskId: PARKED_TASK } }] });
      await waitUntil('the review after completing the task', async () => (await latest.query(stateQuery)).phase === 'review' || 'not in review yet', 60_000, 100);
      const completeMs = performance.now() - completeStart;
      await waitUntil('no activity in flight before the worker stops', async () => ((await latest.describe()).raw.pendingActivities ?? []).length === 0 || 'activities in flight', 60_000, 100);

      const sortedDays = [...dayMs].sort((a, b) => a - b);
      return [
        `${days} days skipped in ${fmt(skipMs)} s of real time (a day: p50 ${(pct(sortedDays, 0.5) / 1000).toFixed(3)} s, max ${(sortedDays.at(-1)! / 1000).toFixed(3)} s); the worker is Firebreak's incident worker on the stack's PostgreSQL, without the event relay`,
        `continued as new ${check.runs - 1} times (on days ${continuedOnDay.join(', ')}), runs of ${check.eventsPerRun.join(' / ')} events (threshold ${CONTINUE_AS_NEW_AFTER_EVENTS}); ${check.unclean} closed runs ended other than by continue-as-new, ${check.taskFailures} workflow task failures, ${check.orphanedActivities.length} activities left unfinished`,
        `task ${PARKED_TASK} still ${task?.status} after ${days} days: ${task?.remindersSent} reminders counted (${expectedReminders} due), ${task?.overduePages} overdue pages, the read model has it ${row?.status} with ${row?.reminders}; the state query answered in ${queryMs.toFixed(0)} ms`,
        `completing the task then ended the playbook: the incident was in review ${fmt(completeMs)} s after the update was sent`,
        ...(problems.length > 0 ? [`problems: ${problems.join('; ')}`] : []),
        ...(quiet ? [] : [`${state.escalations.length} escalations in the incident's state`]),
      ];
    });
  } finally {
    await env.teardown();
  }
}
