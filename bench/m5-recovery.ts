/**
 * M5 recovery: how long until every open incident moves again after its worker dies. The worker
 * runs in its own process; with the incidents open, cached and idle in it, the process is killed
 * with SIGKILL (no drain, no word to the server), a new worker process starts at once, and each
 * incident is sent an acknowledge through the API straight away, as clients that did not notice
 * would. The clock runs from the kill until the last incident has answered with its new state.
 * Then the same for a population of trivial workflows on the same server (raw `executeUpdate`),
 * after they too were last served by the worker that is killed.
 *
 * Then both again with a graceful restart, as a deploy does it: SIGTERM, the worker drains and
 * tells the server that its sticky queue is gone, and the new worker starts once it has exited.
 * The clock runs from the SIGTERM. Each incident, acknowledged already, is sent a note (one
 * decision and one publish, as the acknowledge); each trivial workflow the same update as before.
 *
 * Each row also counts the workflows whose workflow task timed out before a worker took it, after
 * the signal, and of those the ones scheduled after the dead queue stopped counting as alive: an
 * update's task carries the sticky time-out onto the shared queue (docs/temporal-pitfalls.md, 64).
 *
 *   npm run build && node dist/bench/m5-recovery.js [incidents=1000] [concurrency=100]
 */
import { machine, numericArgs, pct, phase, post, ratio, run, sendAlert, sleep, startStack, table, timed, waitForIncidents, waitUntil, withCpu, type BenchStack, type ProcessRole } from './harness';
import { temporal } from '@temporalio/proto';
import { eventRelayWorkflowId } from '../src/worker/incident-worker';
import { workflowIdFor } from '../src/temporal/contract';
import { stateQuery } from '../src/workflows/messages';
import { stickyTimeoutFromEnvironment } from '../src/worker/sticky-timeout';
import { eventMs } from './update-timeline';
import { bumpUpdate, countQuery, tickSignal, trivialWorkflow } from './workflows/trivial';

const [incidents = 1_000, concurrency = 100] = numericArgs(1_000, 100);

type Stop = 'SIGKILL' | 'SIGTERM';

interface Recovery {
  name: string;
  stop: Stop;
  /** Seconds from the kill until the new worker process polled. */
  workerReady: number;
  /** Seconds from the kill until each workflow had answered, sorted. */
  done: number[];
  retries: number;
  /** CPU seconds each role used from the signal until the last workflow answered (the new worker's included). */
  cpu: Record<ProcessRole, number>;
  /** Workflows whose task timed out before a worker took it, after the signal (see `scheduleToStartTimeOuts`). */
  timedOut: { total: number; late: number };
}

/**
 * Stops the worker (SIGKILL or SIGTERM), starts another, and runs `progress` on every workflow, timing
 * from the signal. Just before, `ping` has the worker answer a query: after a SIGKILL the server
 * waits out a worker's sticky time-out for its sticky queue only if that queue saw a poll in the
 * last 10 s, and treats an older one as gone at once (pitfall 55). Both populations are killed
 * as a busy worker would be, whatever the setup's last task left behind.
 */
async function recover(stack: BenchStack, stop: Stop, name: string, workflowIds: string[], ping: () => Promise<unknown>, progress: (i: number) => Promise<number>): Promise<Recovery> {
  await ping();
  const signalled = Date.now();
  const done: number[] = [];
  let retries = 0;
  let restarting!: Promise<number>;
  // Under --cpu-prof the phase is named for profile-summary's --phase: sigkill-firebreak, sigterm-raw.
  const { cpuSeconds: cpu } = await withCpu(() => phase(`${stop.toLowerCase()}-${name.startsWith('Firebreak') ? 'firebreak' : 'raw'}`, async () => {
    const killed = performance.now();
    const stopped = stop === 'SIGKILL' ? stack.workerProcess!.kill() : stack.workerProcess!.terminate();
    restarting = stopped.then(() => stack.startWorkerProcess()).then(() => (performance.now() - killed) / 1000);
    await timed(incidents, concurrency, async (i) => {
      retries += await progress(i);
      done.push((performance.now() - killed) / 1000);
    });
  }));
  const workerReady = await restarting;
  const timedOut = await scheduleToStartTimeOuts(stack.client, workflowIds, signalled);
  return { name, stop, workerReady, done: done.sort((a, b) => a - b), retries, cpu, timedOut };
}

/** How long after its last poll began the server still treats a sticky queue as alive (pitfall 55). */
const STICKY_POLLER_WINDOW_MS = 10_000;

/**
 * How many workflows had a workflow task time out before any worker took it (schedule-to-start),
 * after the signal; `late` counts those whose task was scheduled more than 10 s after it. By then
 * the dead worker's sticky queue counts as gone and the task waits on the shared queue, yet an
 * update's task still carries the worker's sticky time-out there (pitfall 64).
 */
async function scheduleToStartTimeOuts(client: BenchStack['client'], workflowIds: string[], since: number): Promise<{ total: number; late: number }> {
  let total = 0;
  let late = 0;
  await timed(workflowIds.length, 32, async (i) => {
    const events = (await client.workflow.getHandle(workflowIds[i]!).fetchHistory()).events ?? [];
    const timeOuts = events.filter(
      (e) => e.workflowTaskTimedOutEventAttributes?.timeoutType === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START && eventMs(e) >= since,
    );
    if (timeOuts.length === 0) return;
    total += 1;
    const scheduled = timeOuts.map((t) => events.find((e) => e.eventId?.toString() === t.workflowTaskTimedOutEventAttributes!.scheduledEventId?.toString()));
    if (scheduled.some((e) => e && eventMs(e) >= since + STICKY_POLLER_WINDOW_MS)) late += 1;
  });
  return { total, late };
}

/**
 * Waits until the worker is idle. Each worker start (re)starts the lifecycle event relay, whose
 * endless activity would keep the worker from ever looking idle: it is stopped first.
 */
async function settle(stack: BenchStack): Promise<void> {
  try {
    await stack.client.workflow.getHandle(eventRelayWorkflowId(stack.taskQueue)).terminate('the benchmark measures idle workers');
  } catch {
    // stopped already
  }
  await stack.waitIdle();
}

/**
 * Where each workflow's last workflow task went before the kill: to its worker's sticky queue (after
 * a kill the server waits out the worker's sticky schedule-to-start time-out before it sends the
 * next task elsewhere) or to the shared queue, and how many had a workflow task time out.
 */
async function lastTaskQueues(client: BenchStack['client'], workflowIds: string[]): Promise<{ sticky: number; timedOut: number }> {
  let sticky = 0;
  let timedOut = 0;
  await timed(workflowIds.length, 32, async (i) => {
    const events = (await client.workflow.getHandle(workflowIds[i]!).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.workflowTaskScheduledEventAttributes).at(-1);
    if (scheduled?.workflowTaskScheduledEventAttributes?.taskQueue?.kind === temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_STICKY) sticky += 1;
    if (events.some((e) => e.workflowTaskTimedOutEventAttributes)) timedOut += 1;
  });
  return { sticky, timedOut };
}

/** Binds every trivial workflow to the current worker with a signal (see below) and waits until each counted it. */
async function bindTrivial(stack: BenchStack, count: number): Promise<void> {
  const { client } = stack;
  await timed(incidents, concurrency, async (i) => {
    await client.workflow.getHandle(`m5-trivial-${i}`).signal(tickSignal, {});
  });
  await waitUntil(
    `every trivial workflow counted ${count}`,
    async () => (await Promise.all(Array.from({ length: incidents }, (_, i) => client.workflow.getHandle(`m5-trivial-${i}`).query(countQuery)))).every((n) => n === count),
    600_000,
    1_000,
  );
  await settle(stack);
}

/** A note through the API, retried on 503 under one idempotency key (a retry may find it applied). */
async function note(stack: BenchStack, key: string, id: string, text: string, idempotencyKey: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const res = await post(`${stack.api.url}/v1/incidents/${id}/notes`, key, { text }, { 'idempotency-key': idempotencyKey });
    const body = res.body as { noteCount?: number };
    if (res.status === 200 && (body.noteCount ?? 0) >= 1) return attempt;
    if (res.status !== 503 || attempt >= 20) throw new Error(`note answered ${res.status}: ${JSON.stringify(body)}`);
    await sleep(250);
  }
}

run(async () => {
  const stack = await startStack({ worker: 'child', trivial: true, maxCachedWorkflows: 2 * incidents + 500 });
  const { client } = stack;
  try {
    const integration = await stack.key('integration');
    const manager = await stack.key('manager');
    const ids: string[] = [];
    await timed(incidents, 32, async (i) => {
      ids[i] = (await sendAlert(stack.api.url, integration, 'm5-', i, `m5-key-${i}`)).incidentId;
    });
    await timed(incidents, 32, async (i) => {
      await client.workflow.start(trivialWorkflow, { workflowId: `m5-trivial-${i}`, taskQueue: stack.trivialQueue, args: [] });
    });
    await waitForIncidents(stack.pool, 'm5-key-', incidents);
    await settle(stack);
    const before = await stack.workerLoad();
    const incidentWorkflowIds = ids.map((id) => workflowIdFor(id));
    const trivialIds = Array.from({ length: incidents }, (_, i) => `m5-trivial-${i}`);
    const incidentQueues = await lastTaskQueues(client, incidentWorkflowIds);

    // Firebreak: an acknowledge per incident. The API gives up on a workflow after 30 s with a 503;
    // a client retries, and a retry may find its first attempt applied after all (409, already
    // acknowledged), which is progress too.
    const pingIncident = () => client.workflow.getHandle(workflowIdFor(ids[0]!)).query(stateQuery);
    const pingTrivial = () => client.workflow.getHandle('m5-trivial-0').query(countQuery);
    const firebreak = await recover(stack, 'SIGKILL', 'Firebreak POST /v1/incidents/:id/acknowledge', incidentWorkflowIds, pingIncident, async (i) => {
      for (let attempt = 0; ; attempt++) {
        const res = await post(`${stack.api.url}/v1/incidents/${ids[i]}/acknowledge`, manager, {});
        if (res.status === 200 && res.body.phase === 'triage') return attempt;
        if (res.status === 409 && attempt > 0 && /already acknowledged/.test(JSON.stringify(res.body))) return attempt;
        if (res.status !== 503 || attempt >= 20) throw new Error(`acknowledge answered ${res.status}: ${JSON.stringify(res.body)}`);
        await sleep(250);
      }
    });

    // The trivial workflows were last served by the first worker; give each a task on this one, so
    // that the kill below leaves them where the first kill left the incidents: bound to a dead
    // worker's sticky queue. A signal, not an update: an update answered without a new event
    // leaves no trace in history, nor the worker it ran on, and the server keeps routing to the
    // first worker's queue, which it knows to be gone.
    await bindTrivial(stack, 1);
    const trivialQueues = await lastTaskQueues(client, trivialIds);
    const raw = await recover(stack, 'SIGKILL', 'raw executeUpdate, trivial workflow', trivialIds, pingTrivial, async (i) => {
      const count = await client.workflow.getHandle(`m5-trivial-${i}`).executeUpdate(bumpUpdate, { args: [{}] });
      if (count !== 2) throw new Error(`trivial workflow ${i} counted ${count}`);
      return 0;
    });
    await settle(stack);
    const { rows: [triage] } = await stack.pool.query(`SELECT count(*)::int AS n FROM incidents WHERE dedup_key LIKE 'm5-key-%' AND phase = 'triage'`);

    // A graceful restart. The incidents were last served by the worker the raw kill took down:
    // a note each binds them to the current worker first (and replays them into its cache).
    await timed(incidents, concurrency, async (i) => {
      await note(stack, manager, ids[i]!, 'before the restart', `m5-note-before-${i}`);
    });
    await settle(stack);
    const firebreakGraceful = await recover(stack, 'SIGTERM', 'Firebreak POST /v1/incidents/:id/notes', incidentWorkflowIds, pingIncident, (i) => note(stack, manager, ids[i]!, 'after the restart', `m5-note-after-${i}`));
    await settle(stack);
    await bindTrivial(stack, 3);
    const rawGraceful = await recover(stack, 'SIGTERM', 'raw executeUpdate, trivial workflow', trivialIds, pingTrivial, async (i) => {
      const count = await client.workflow.getHandle(`m5-trivial-${i}`).executeUpdate(bumpUpdate, { args: [{}] });
      if (count !== 4) throw new Error(`trivial workflow ${i} counted ${count}`);
      return 0;
    });
    await settle(stack);
    const { rows: [noted] } = await stack.pool.query(`SELECT count(*)::int AS n FROM incidents WHERE dedup_key LIKE 'm5-key-%' AND (state->>'noteCount')::int = 2`);

    const incidentSticky = stickyTimeoutFromEnvironment() / 1000;
    const row = (r: Recovery) => [r.stop, r.name, r.workerReady.toFixed(1), r.done[0]!.toFixed(1), pct(r.done, 0.5).toFixed(1), pct(r.done, 0.99).toFixed(1), r.done.at(-1)!.toFixed(1), r.retries, `${r.timedOut.total} (${r.timedOut.late})`];
    // Where the recovery's work ran: CPU per workflow moved, by process. The API runs in the load generator.
    const cpuRoles: ProcessRole[] = ['load generator', 'worker', 'Temporal', 'PostgreSQL'];
    const cpuMs = (r: Recovery, role: ProcessRole) => (r.cpu[role] * 1000) / incidents;
    const cpuRow = (r: Recovery) => [r.stop, r.name, ...cpuRoles.map((role) => cpuMs(r, role).toFixed(1)), cpuRoles.reduce((sum, role) => sum + cpuMs(r, role), 0).toFixed(1)];
    const ratios = (f: Recovery, r: Recovery) => `all moved ${ratio(f.done.at(-1)!, r.done.at(-1)!)}, half moved ${ratio(pct(f.done, 0.5), pct(r.done, 0.5))}`;
    console.log(
      [
        `M5 recovery — ${incidents} open workflows per population, SIGKILL and then SIGTERM of the worker process, ${concurrency} requests in flight, ${machine()}`,
        '',
        table(
          ['worker stopped by', 'path', 'new worker polling s', 'first moved s', 'half moved s', '99% moved s', 'all moved s', 'retried requests', 'task timed out unstarted (10 s on)'],
          [row(firebreak), row(raw), row(firebreakGraceful), row(rawGraceful)],
        ),
        '',
        'CPU per workflow moved, ms, from the signal until the last one answered (the load generator runs the API and the clients):',
        '',
        table(['worker stopped by', 'path', ...cpuRoles, 'total'], [cpuRow(firebreak), cpuRow(raw), cpuRow(firebreakGraceful), cpuRow(rawGraceful)]),
        '',
        `Seconds count from the signal; after a SIGTERM the new worker starts once the old one has exited. Before the SIGKILL the worker had ${before.cachedWorkflows} workflows cached, ${(before.rss / 1024 / 1024).toFixed(0)} MiB RSS; ` +
          `afterwards ${triage.n} of ${incidents} incidents showed phase triage in the read model, and after the SIGTERM ${noted.n} of ${incidents} showed both notes.`,
        '',
        'Task timed out unstarted: workflows whose workflow task timed out before any worker took it (schedule-to-start), after the signal; in brackets, ' +
          'those whose task was scheduled 10 s or more after it, when the stopped worker\'s sticky queue already counted as gone and the task waited on the shared queue.',
        '',
        `Before the SIGKILL, the last workflow task of ${incidentQueues.sticky} of ${incidents} incidents went to the worker's sticky queue (${incidentQueues.timedOut} had a workflow task time out), ` +
          `of ${trivialQueues.sticky} of ${incidents} trivial workflows (${trivialQueues.timedOut}). ` +
          `The incidents' worker has Firebreak's sticky time-out (${incidentSticky} s, FIREBREAK_STICKY_TIMEOUT_MS), the trivial workflows' the SDK's default (10 s): ` +
          `${firebreak.done.filter((s) => s < incidentSticky).length} incidents and ${raw.done.filter((s) => s < 10).length} trivial workflows moved before their time-out.`,
        '',
        `ratio (Firebreak / raw) after SIGKILL: ${ratios(firebreak, raw)}`,
        `ratio (Firebreak / raw) after SIGTERM: ${ratios(firebreakGraceful, rawGraceful)}`,
      ].join('\n'),
    );
    if (triage.n !== incidents || noted.n !== incidents) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
});
