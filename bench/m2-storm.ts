/**
 * M2 storm: a storm of alerts over a few dedup keys through `POST /v1/alerts`. Wall time, and
 * proof that no alert was lost or counted twice: the alert rows in PostgreSQL, the incidents'
 * counts and the signals in their histories must each hold every alert exactly once. History
 * events per alert count every run of every incident (continue-as-new included). Beside it, the
 * same signals sent raw with `signalWithStart`, to the incident workflow and to a trivial one.
 *
 *   npm run build && node dist/bench/m2-storm.js [alerts=10000] [keys=100] [concurrency=32]
 */
import type { Client } from '@temporalio/client';
import { runChain } from '../src/audit/history-source';
import { workflowIdFor } from '../src/temporal/contract';
import { stateQuery } from '../src/workflows/messages';
import { alertSummary, machine, numericArgs, ratio, rawSignalWithStart, run, sendAlert, startStack, table, timed, waitUntil, type IntakeAnswer } from './harness';
import { countQuery, tickSignal } from './workflows/trivial';

const [alerts = 10_000, keys = 100, concurrency = 32] = numericArgs(10_000, 100, 32);

interface PathResult {
  name: string;
  intakeSeconds: number;
  settledSeconds: number;
  workflows: number;
  runs: number;
  counted: number;
  signals: number;
  distinctSignalled: number;
  /** Alerts sent that no history carries. */
  lost: number;
  events: number;
  workflowTasks: number;
  /** History events by kind (the name of the event's attributes, without `EventAttributes`). */
  byKind: Map<string, number>;
  signalled: Set<string>;
}

/** An event's kind, from which of its attribute fields is set: `workflowTaskScheduled`, `activityTaskCompleted`... */
function eventKind(event: object): string {
  const field = Object.entries(event).find(([k, v]) => k.endsWith('EventAttributes') && v)?.[0];
  return field ? field.slice(0, -'EventAttributes'.length) : 'unknown';
}

/** Every run of every workflow: events, and which alert each signal carried. */
async function histories(client: Client, workflowIds: string[]) {
  let runs = 0;
  let events = 0;
  let workflowTasks = 0;
  const byKind = new Map<string, number>();
  const signalled: string[] = [];
  for (const workflowId of workflowIds) {
    for (const r of await runChain(client, workflowId)) {
      runs += 1;
      events += r.history.events.length;
      for (const event of r.history.events) {
        const kind = eventKind(event);
        byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        if (event.workflowTaskCompletedEventAttributes) workflowTasks += 1;
        const attributes = event.workflowExecutionSignaledEventAttributes as { input?: { payloads?: Array<{ data?: string }> } } | undefined;
        const data = attributes?.input?.payloads?.[0]?.data;
        if (data) signalled.push((JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { alertId: string }).alertId);
      }
    }
  }
  return { runs, events, workflowTasks, byKind, signalled };
}

/**
 * Sends the storm, waits until the workflows have counted every alert, and reads their histories.
 * `send(i)` delivers alert i; `count(workflowId)` is what that workflow has counted.
 */
async function storm(
  client: Client,
  name: string,
  alertIds: () => string[],
  send: (i: number) => Promise<void>,
  workflowIds: () => string[],
  count: (workflowId: string) => Promise<number>,
): Promise<PathResult> {
  const started = performance.now();
  const intake = await timed(alerts, concurrency, send);
  let counted = 0;
  await waitUntil(
    `${name}: every alert counted`,
    async () => {
      counted = (await Promise.all(workflowIds().map(count))).reduce((a, b) => a + b, 0);
      return counted >= alerts || `${counted} of ${alerts}`;
    },
    600_000,
    500,
  );
  const settledSeconds = (performance.now() - started) / 1000;
  const h = await histories(client, workflowIds());
  const distinct = new Set(h.signalled);
  return {
    name,
    intakeSeconds: intake.seconds,
    settledSeconds,
    workflows: workflowIds().length,
    runs: h.runs,
    counted,
    signals: h.signalled.length,
    distinctSignalled: distinct.size,
    lost: alertIds().filter((id) => !distinct.has(id)).length,
    events: h.events,
    workflowTasks: h.workflowTasks,
    byKind: h.byKind,
    signalled: distinct,
  };
}

run(async () => {
  const stack = await startStack({ trivial: true });
  const { client } = stack;
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    const key = await stack.key('integration');
    const perKey = (k: number) => Math.floor(alerts / keys) + (k < alerts % keys ? 1 : 0);

    // Firebreak: through the API. The alert ids are the register's; read them back afterwards.
    const answers: IntakeAnswer[] = [];
    const firebreakIncidents = () => [...new Set(answers.map((a) => a.incidentId))].map(workflowIdFor);
    const firebreak = await storm(
      client,
      'Firebreak POST /v1/alerts',
      () => answers.map((a) => a.alertId),
      async (i) => {
        answers[i] = await sendAlert(stack.api.url, key, 'storm-', i, `storm-key-${i % keys}`);
      },
      firebreakIncidents,
      async (workflowId) => (await client.workflow.getHandle(workflowId).query(stateQuery)).alertCount,
    );
    const { rows: [register] } = await stack.pool.query(
      `SELECT count(*)::int AS rows, count(DISTINCT alert_id)::int AS ids, count(DISTINCT incident_id)::int AS incidents
         FROM alerts WHERE source_ref LIKE 'storm-%'`,
    );
    const { rows: perKeyRows } = await stack.pool.query(`SELECT dedup_key, count(*)::int AS n FROM alerts WHERE source_ref LIKE 'storm-%' GROUP BY dedup_key`);
    const { rows: [keyRows] } = await stack.pool.query(`SELECT count(*)::int AS n FROM incident_keys WHERE dedup_key LIKE 'storm-key-%'`);
    const { rows: [readModel] } = await stack.pool.query(`SELECT count(*)::int AS n FROM incidents WHERE dedup_key LIKE 'storm-key-%'`);
    const { rows: registered } = await stack.pool.query(`SELECT alert_id FROM alerts WHERE source_ref LIKE 'storm-%'`);
    const registeredIds = new Set(registered.map((r: { alert_id: string }) => r.alert_id));
    // Lost: answered 202 but missing from the register or from every history.
    firebreak.lost = answers.filter((a) => !registeredIds.has(a.alertId) || !firebreak.signalled.has(a.alertId)).length;
    const states = await Promise.all(firebreakIncidents().map((w) => client.workflow.getHandle(w).query(stateQuery)));

    check(answers.filter(Boolean).length === alerts, `${alerts} answers of 202`);
    check(answers.filter((a) => !a.deduplicated).length === keys, `exactly ${keys} alerts opened an incident`);
    check(firebreak.workflows === keys, `${keys} incidents (got ${firebreak.workflows})`);
    check(register.rows === alerts && register.ids === alerts, `${alerts} alert rows, each once (got ${register.rows} rows, ${register.ids} ids)`);
    check(register.incidents === keys && keyRows.n === keys, `${keys} incidents in the register (got ${register.incidents}, ${keyRows.n} keys)`);
    check(perKeyRows.length === keys && perKeyRows.every((r: { dedup_key: string; n: number }) => r.n === perKey(Number(r.dedup_key.slice('storm-key-'.length)))), 'every key holds its alerts');
    check(readModel.n === keys, `${keys} read-model rows (got ${readModel.n})`);
    check(states.every((st) => st.alertCount === perKey(Number(st.dedupKey.slice('storm-key-'.length)))), 'every incident counted its own key\'s alerts');
    check(firebreak.counted === alerts, `workflows counted ${alerts} (got ${firebreak.counted})`);
    check(firebreak.signals === alerts && firebreak.distinctSignalled === alerts, `${alerts} signals, each alert once (got ${firebreak.signals}, ${firebreak.distinctSignalled} distinct)`);
    check(firebreak.lost === 0, 'no alert lost');

    // Raw: the same signals to the same workflow, no API, no PostgreSQL.
    const rawSame = await storm(
      client,
      'raw signalWithStart, incident workflow',
      () => Array.from({ length: alerts }, (_, i) => `rs${i}`),
      (i) => rawSignalWithStart(client, stack.taskQueue, `storm-${i % keys}`, 'rs', i),
      () => Array.from({ length: keys }, (_, k) => `raw-storm-${k}`),
      async (workflowId) => (await client.workflow.getHandle(workflowId).query(stateQuery)).alertCount,
    );
    // Raw: the same signals to a workflow that only counts them.
    const rawTrivial = await storm(
      client,
      'raw signalWithStart, trivial workflow',
      () => Array.from({ length: alerts }, (_, i) => `ts${i}`),
      async (i) => {
        await client.workflow.signalWithStart('trivialWorkflow', {
          workflowId: `trivial-storm-${i % keys}`,
          taskQueue: stack.trivialQueue,
          args: [],
          signal: tickSignal,
          signalArgs: [alertSummary('ts', i)],
        });
      },
      () => Array.from({ length: keys }, (_, k) => `trivial-storm-${k}`),
      (workflowId) => client.workflow.getHandle(workflowId).query(countQuery),
    );
    for (const r of [rawSame, rawTrivial]) {
      check(r.counted === alerts && r.signals === alerts && r.distinctSignalled === alerts && r.lost === 0, `${r.name}: every alert once`);
    }

    const row = (r: PathResult) => [
      r.name,
      r.intakeSeconds.toFixed(1),
      (alerts / r.intakeSeconds).toFixed(0),
      r.settledSeconds.toFixed(1),
      r.workflows,
      r.runs,
      r.counted,
      r.lost,
      r.signals - r.distinctSignalled,
      r.events,
      (r.events / alerts).toFixed(2),
      (r.workflowTasks / alerts).toFixed(2),
    ];
    // What each path's histories hold per alert, kind by kind: where Firebreak's extra events come from.
    const paths = [firebreak, rawSame, rawTrivial];
    const kinds = [...new Set(paths.flatMap((r) => [...r.byKind.keys()]))].sort((a, b) => Math.max(...paths.map((r) => r.byKind.get(b) ?? 0)) - Math.max(...paths.map((r) => r.byKind.get(a) ?? 0)));
    const kindRows = kinds.map((k) => [k, ...paths.map((r) => ((r.byKind.get(k) ?? 0) / alerts).toFixed(3))]);
    console.log(
      [
        `M2 storm — ${alerts} alerts over ${keys} dedup keys, concurrency ${concurrency}, ${machine()}`,
        '',
        table(['path', 'intake s', 'alerts/s', 'settled s', 'workflows', 'runs', 'alerts counted', 'lost', 'duplicated', 'history events', 'events/alert', 'workflow tasks/alert'], [row(firebreak), row(rawSame), row(rawTrivial)]),
        '',
        `PostgreSQL: ${register.rows} alert rows, ${register.ids} distinct alert ids, ${register.incidents} incidents, ${keyRows.n} dedup keys, ${readModel.n} read-model rows; ` +
          `API: ${answers.filter((a) => !a.deduplicated).length} alerts opened an incident, ${answers.filter((a) => a.deduplicated).length} joined one`,
        '',
        `ratio (Firebreak / raw, incident workflow): wall time to settle ${ratio(firebreak.settledSeconds, rawSame.settledSeconds)}, events per alert ${ratio(firebreak.events, rawSame.events)}`,
        `ratio (Firebreak / raw, trivial workflow): wall time to settle ${ratio(firebreak.settledSeconds, rawTrivial.settledSeconds)}, events per alert ${ratio(firebreak.events, rawTrivial.events)}`,
        '',
        'History events per alert, by kind:',
        '',
        table(['event', ...paths.map((r) => r.name)], kindRows),
        '',
        failures.length ? `CHECKS FAILED: ${failures.join('; ')}` : 'checks: every alert stored once, signalled once and counted once; none lost',
      ].join('\n'),
    );
    if (failures.length) process.exitCode = 1;
  } finally {
    await stack.stop();
  }
});
