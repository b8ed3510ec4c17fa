import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { HistorySource, type RunHistory } from '../audit/history-source';
import { replayRuns, type ReplayVerdict } from '../audit/replay';
import { createPool } from '../db/pool';
import { workflowIdFor } from '../temporal/contract';
import { temporalConnectionOptions } from '../temporal/connection-options';
import { ENCRYPTED_ENCODING, payloadCodecFromEnvironment } from '../temporal/payload-codec';
import { decodePayloadsIn, hasEncryptedPayloads } from '../temporal/payload-json';
import { incidentWorkflowsPath } from '../worker/incident-worker';
import { loadPrebuiltBundle, prebuiltBundleDirectory, WORKFLOW_BUNDLE_ENV } from '../worker/prebuilt-bundle';

const USAGE = `usage: npm run replay -- --incident <id> | --file <history.json> [--file …]
  --incident  replays a stored incident (from Temporal, or the PostgreSQL archive), using
              TEMPORAL_ADDRESS (default 127.0.0.1:7233) and DATABASE_URL
  --file      replays a file: one run as \`temporal workflow show --output json\` prints it,
              or an export from GET /v1/incidents/{id}/history
TEMPORAL_TLS_* connect to Temporal over TLS; FIREBREAK_PAYLOAD_KEYS decrypts encrypted payloads.
Exit status: 0 when every run replays cleanly against the current workflow code, 1 when one does
not, 2 for a usage error or a file that is not a history.`;

/** Reads either a single `{events}` document or an export `{workflowId, runs: [{runId, history}]}`. */
function runsFromFile(path: string): { workflowId: string; runs: RunHistory[] } {
  let content: { events?: unknown[]; workflowId?: string; runs?: RunHistory[] };
  try {
    content = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${err instanceof SyntaxError ? 'not JSON' : 'cannot be read'} (${(err as Error).message})`);
  }
  const isHistory = (h: unknown) => Array.isArray((h as { events?: unknown })?.events) && (h as { events: unknown[] }).events.length > 0;
  if (Array.isArray(content?.runs) && content.runs.length > 0 && content.runs.every((r) => typeof r?.runId === 'string' && isHistory(r.history))) {
    return { workflowId: content.workflowId ?? path, runs: content.runs };
  }
  if (isHistory(content)) return { workflowId: path, runs: [{ runId: path, history: content as RunHistory['history'] }] };
  throw new Error(`${path}: neither a history ({events: [...]}) nor an export ({runs: [{runId, history}]})`);
}

async function fromIncident(incidentId: string, io: CliOutput): Promise<{ workflowId: string; runs: RunHistory[] }> {
  const connection = await Connection.connect(temporalConnectionOptions());
  const pool = createPool(process.env.DATABASE_URL ?? 'postgres://postgres:postgres@127.0.0.1:5433/firebreak', 1);
  try {
    const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE ?? 'default' });
    const history = await new HistorySource(client, pool).of(incidentId);
    if (!history) throw new Error(`no history for incident ${incidentId}`);
    io.out(`incident ${incidentId}: ${history.runs.length} run(s) from ${history.source}`);
    return decrypted({ workflowId: workflowIdFor(incidentId), runs: history.runs });
  } finally {
    await connection.close();
    await pool.end();
  }
}

/** Runs with encrypted payloads decrypted (FIREBREAK_PAYLOAD_KEYS); plain ones stay as they are. */
async function decrypted(source: { workflowId: string; runs: RunHistory[] }): Promise<{ workflowId: string; runs: RunHistory[] }> {
  const codec = payloadCodecFromEnvironment();
  if (!codec) {
    if (hasEncryptedPayloads(source.runs, ENCRYPTED_ENCODING)) throw new Error(`${source.workflowId}: its payloads are encrypted; set FIREBREAK_PAYLOAD_KEYS to the keys that encrypted them`);
    return source;
  }
  return { workflowId: source.workflowId, runs: await Promise.all(source.runs.map(async (run) => ({ runId: run.runId, history: await decodePayloadsIn(run.history, codec) }))) };
}

/** Where the CLI writes: the report to `out`, usage and errors to `err`. */
export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

const CONSOLE: CliOutput = { out: (line) => console.log(line), err: (line) => console.error(line) };

function report(verdicts: ReplayVerdict[], io: CliOutput): boolean {
  for (const v of verdicts) {
    if (v.replayed) io.out(`  ok    ${v.runId}  replayed cleanly${v.note ? ` (${v.note})` : ''}`);
    else io.out(`  FAIL  ${v.runId}  first divergence${v.divergence?.eventId ? ` at event ${v.divergence.eventId}` : ''}: ${v.divergence?.reason}`);
  }
  return verdicts.every((v) => v.replayed);
}

/**
 * The whole command; resolves to its exit status: 0 when every run replays cleanly, 1 when one
 * diverges (or could not be replayed in time), 2 for a usage error or input it cannot read.
 */
export async function replayCli(args: string[], code: Parameters<typeof replayRuns>[2] = { workflowsPath: incidentWorkflowsPath() }, io: CliOutput = CONSOLE): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { incident: { type: 'string' }, file: { type: 'string', multiple: true }, help: { type: 'boolean' } } }));
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    if (values.help || (!values.incident && !values.file?.length) || (values.incident && values.file?.length)) {
      io.err(USAGE);
      return 2;
    }
    const sources = values.incident ? [await fromIncident(values.incident, io)] : await Promise.all((values.file ?? []).map((file) => decrypted(runsFromFile(file))));
    let clean = true;
    for (const source of sources) {
      io.out(`${source.workflowId}:`);
      clean = report(await replayRuns(source.workflowId, source.runs, code), io) && clean;
    }
    return clean ? 0 : 1;
  } catch (err) {
    io.err(`replay failed: ${err instanceof Error ? err.message : String(err)}`);
    return 2;
  }
}

if (require.main === module) {
  // The replay workers would log every state change; the report is what matters here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // The prebuilt bundle of npm run build when it matches the compiled code (validators, the only
  // readers of the trusted keys, do not run at replay); else the workflows are bundled now.
  const directory = prebuiltBundleDirectory();
  const prebuilt = directory === undefined ? undefined : loadPrebuiltBundle({}, directory);
  if (prebuilt?.bundle) console.error(`replaying against the prebuilt workflow bundle (sources ${prebuilt.digest.slice(0, 12)})`);
  else console.error(`${prebuilt?.reason ?? `${WORKFLOW_BUNDLE_ENV}=off`}: bundling the workflows now`);
  void replayCli(process.argv.slice(2), prebuilt?.bundle ? { workflowBundle: prebuilt.bundle } : undefined).then((status) => process.exit(status));
}
