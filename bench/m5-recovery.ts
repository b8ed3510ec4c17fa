/**
 * M5 recovery: how long until every open incident moves again after its worker dies. The worker
 * runs in its own process; with the incidents open, cached and idle in it, the process is killed
 * with SIGKILL (no drain, no word to the server), a new worker process starts at once, and each
 * incident is sent an acknowledge through the API straight away, as clients that did not notice
 * would. The clock runs from the kill until the last incident has answered with its new state.
 * Then the same for a population of trivial workflows on the same server (raw `executeUpdate`),
 * after they too were last served by the worker that is killed.
 *
 *   npm run build && node dist/bench/m5-recovery.js [incidents=1000] [concurrency=100]
 */
import { machine, numericArgs, pct, post, ratio, run, sendAlert, sleep, startStack, table, timed, waitForIncidents, waitUntil, type BenchStack } from './harness';
import { bumpUpdate, countQuery, tickSignal, trivialWorkflow } from './workflows/trivial';

const [incidents = 1_000, concurrency = 100] = numericArgs(1_000, 100);

interface Recovery {
  name: string;
  /** Seconds from the kill until the new worker process polled. */
  workerReady: number;
  /** Seconds from the kill until each workflow had answered, sorted. */
  done: number[];
  retries: number;
}

/** Kills the worker, starts another, and runs `progress` on every workflow, timing from the kill. */
async function recover(stack: BenchStack, name: string, progress: (i: number) => Promise<number>): Promise<Recovery> {
  const killed = performance.now();
  await stack.workerProcess!.kill();
  const restarting = stack.startWorkerProcess().then(() => (performance.now() - killed) / 1000);
  const done: number[] = [];
  let retries = 0;
  await timed(incidents, concurrency, async (i) => {
    retries += await progress(i);
    done.push((performance.now() - killed) / 1000);
  });
  const workerReady = await restarting;
  return { name, workerReady, done: done.sort((a, b) => a - b), retries };
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
    await stack.waitIdle();
    const before = await stack.workerLoad();

    // Firebreak: an acknowledge per incident. The API gives up on a workflow after 30 s with a 503;
    // a client retries, and a retry may find its first attempt applied after all (409, already
    // acknowledged), which is progress too.
    const firebreak = await recover(stack, 'Firebreak POST /v1/incidents/:id/acknowledge', async (i) => {
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
    await timed(incidents, concurrency, async (i) => {
      await client.workflow.getHandle(`m5-trivial-${i}`).signal(tickSignal, {});
    });
    await waitUntil(
      'every trivial workflow counted its signal',
      async () => (await Promise.all(Array.from({ length: incidents }, (_, i) => client.workflow.getHandle(`m5-trivial-${i}`).query(countQuery)))).every((n) => n === 1),
      600_000,
      1_000,
    );
    await stack.waitIdle();
    const raw = await recover(stack, 'raw executeUpdate, trivial workflow', async (i) => {
      const count = await client.workflow.getHandle(`m5-trivial-${i}`).executeUpdate(bumpUpdate, { args: [{}] });
      if (count !== 2) throw new Error(`trivial workflow ${i} counted ${count}`);
      return 0;
    });
    await stack.waitIdle();
    const { rows: [triage] } = await stack.pool.query(`SELECT count(*)::int AS n FROM incidents WHERE dedup_key LIKE 'm5-key-%' AND phase = 'triage'`);

    const row = (r: Recovery) => [r.name, r.workerReady.toFixed(1), r.done[0]!.toFixed(1), pct(r.done, 0.5).toFixed(1), pct(r.done, 0.99).toFixed(1), r.done.at(-1)!.toFixed(1), r.retries];
    console.log(
      [
        `M5 recovery — ${incidents} open workflows per population, SIGKILL of the worker process, ${concurrency} requests in flight, ${machine()}`,
        '',
        table(['path', 'new worker polling s', 'first moved s', 'half moved s', '99% moved s', 'all moved s', 'retried requests'], [row(firebreak), row(raw)]),
        '',
        `Seconds count from the SIGKILL. Before it the worker had ${before.cachedWorkflows} workflows cached, ${(before.rss / 1024 / 1024).toFixed(0)} MiB RSS; ` +
          `afterwards ${triage.n} of ${incidents} incidents show phase triage in the read model.`,
        '',
        `ratio (Firebreak / raw): all moved ${ratio(firebreak.done.at(-1)!, raw.done.at(-1)!)}, half moved ${ratio(pct(firebreak.done, 0.5), pct(raw.done, 0.5))}`,
      ].join('\n'),
    );
    if (triage.n !== incidents) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
});
