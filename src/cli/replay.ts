import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { HistorySource, type RunHistory } from '../audit/history-source';
import { replayRuns, type ReplayVerdict } from '../audit/replay';
import { createPool } from '../db/pool';
import { workflowIdFor } from '../temporal/contract';
import { incidentWorkflowsPath } from '../worker/incident-worker';

const USAGE = `usage: npm run replay -- --incident <id> | --file <history.json> [--file …]
  --incident  replays a stored incident (from Temporal, or the PostgreSQL archive), using
              TEMPORAL_ADDRESS (default 127.0.0.1:7233) and DATABASE_URL
  --file      replays a file: one run as \`temporal workflow show --output json\` prints it,
              or an export from GET /v1/incidents/{id}/history
Exit status: 0 when every run replays cleanly against the current workflow code, 1 otherwise.`;

/** Reads either a single `{events}` document or an export `{workflowId, runs: [{runId, history}]}`. */
function runsFromFile(path: string): { workflowId: string; runs: RunHistory[] } {
  const content = JSON.parse(readFileSync(path, 'utf8')) as { events?: unknown[]; workflowId?: string; runs?: RunHistory[] };
  if (Array.isArray(content.runs)) return { workflowId: content.workflowId ?? path, runs: content.runs };
  if (Array.isArray(content.events)) return { workflowId: path, runs: [{ runId: path, history: content as RunHistory['history'] }] };
  throw new Error(`${path}: neither a history ({events}) nor an export ({runs})`);
}

async function fromIncident(incidentId: string): Promise<{ workflowId: string; runs: RunHistory[] }> {
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233' });
  const pool = createPool(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5433/firebreak', 1);
  try {
    const history = await new HistorySource(new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' }), pool).of(incidentId);
    if (!history) throw new Error(`no history for incident ${incidentId}`);
    console.log(`incident ${incidentId}: ${history.runs.length} run(s) from ${history.source}`);
    return { workflowId: workflowIdFor(incidentId), runs: history.runs };
  } finally {
    await connection.close();
    await pool.end();
  }
}

function report(verdicts: ReplayVerdict[]): boolean {
  for (const v of verdicts) {
    if (v.replayed) console.log(`  ok    ${v.runId}  replayed cleanly`);
    else console.log(`  FAIL  ${v.runId}  first divergence${v.divergence?.eventId ? ` at event ${v.divergence.eventId}` : ''}: ${v.divergence?.reason}`);
  }
  return verdicts.every((v) => v.replayed);
}

async function main(): Promise<number> {
  // The replay workers would log every state change; the report is what matters here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const { values } = parseArgs({ options: { incident: { type: 'string' }, file: { type: 'string', multiple: true }, help: { type: 'boolean' } } });
  if (values.help || (!values.incident && !values.file?.length)) {
    console.error(USAGE);
    return 2;
  }
  const sources = values.incident ? [await fromIncident(values.incident)] : (values.file ?? []).map(runsFromFile);
  let clean = true;
  for (const source of sources) {
    console.log(`${source.workflowId}:`);
    clean = report(await replayRuns(source.workflowId, source.runs, { workflowsPath: incidentWorkflowsPath() })) && clean;
  }
  return clean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('replay failed:', err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
