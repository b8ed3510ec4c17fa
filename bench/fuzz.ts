/**
 * Hostile input: Schemathesis generates requests from `/openapi.json` for every route, once per
 * role and once with no key and with a bad key, and checks every answer against the document
 * (no 5xx, declared status codes, content types, headers and schemas; invalid input rejected).
 *
 *   make fuzz                       # installs Schemathesis into .tools/fuzz-venv, builds, runs
 *   node dist/bench/fuzz.js [--max-examples=N] [--seed=N] [--runs=manager,anonymous,...] [--report-dir=DIR]
 *
 * Starts its own dev server, embedded PostgreSQL, worker and API on free ports (rate limits raised
 * so the run measures the API, not the limiter), seeds incidents and spare keys so path
 * parameters can name real ones, prints a table of cases sent and failures by check, and exits
 * non-zero on any failure. Reports (JUnit XML, NDJSON, console log) stay in the report directory.
 */
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, rmSync, writeFileSync, createWriteStream, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pino from 'pino';
import { ROUTES, type RouteSpec } from '../src/api/route-table';
import { ApiKeyStore } from '../src/db/api-key-store';
import { ROLES, type Role } from '../src/domain/principal';
import { startStack } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const SCHEMATHESIS = process.env.SCHEMATHESIS ?? path.join(ROOT, '.tools/fuzz-venv/bin/schemathesis');

const option = (name: string, fallback: string): string => {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  return arg ? arg.slice(name.length + 3) : fallback;
};
const MAX_EXAMPLES = Number(option('max-examples', '50'));
const SEED = Number(option('seed', '20261128'));
const REPORT_DIR = path.resolve(option('report-dir', path.join(ROOT, '.data/fuzz')));
const RUN_NAMES = option('runs', [...ROLES, 'anonymous', 'bad-key'].join(',')).split(',');

interface Outcome {
  run: string;
  operations: number;
  cases: number;
  /** Distinct failures (one check, operation and message counted once) by check. */
  failures: Map<string, number>;
  errors: number;
  seconds: number;
  exitCode: number;
}

const NEGATIVE_REJECTED = ['400', '401', '403', '404', '405', '406', '409', '413', '415', '422', '428', '429', '5xx'];
const POSITIVE_ACCEPTED = ['2xx', '3xx', '401', '403', '404', '409', '429', '5xx'];
const toml = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(', ')}]`;

/**
 * The schemathesis.toml of the runs. Real ids and cursors fill path and query parameters half the
 * time (random ones otherwise), and three allowances, each for a rule JSON Schema cannot state:
 *
 * - 413 counts as rejecting an invalid body: an over-long array can be over the size limit too.
 * - A valid body may meet 422 on an idempotent route: the generator sends one Idempotency-Key
 *   value with many bodies, and the API answers exactly as documented for a reused key.
 * - A valid summary query may meet 400: `from` must precede `to`, a rule between two parameters.
 * - A valid incident list query may meet 400 in the coverage phase only: that phase writes its own
 *   `cursor` ("0", "000…") instead of drawing the cursors the API issued, and a cursor is opaque.
 */
function configFor(ids: { incidents: string[]; spareKeys: string[]; cursors: string[] }): string {
  return [
    `hooks = ${JSON.stringify(path.join(__dirname, '../../bench/fuzz_hooks.py'))}`,
    '[cache]',
    'enabled = false',
    '[dictionaries.incidents]',
    `values = ${toml(ids.incidents)}`,
    '[dictionaries.spare-keys]',
    `values = ${toml(ids.spareKeys)}`,
    '[dictionaries.cursors]',
    `values = ${toml(ids.cursors)}`,
    '[parameters]',
    '"path.id" = { dictionary = "incidents", probability = 0.5 }',
    '"path.keyId" = { dictionary = "spare-keys", probability = 0.5 }',
    '"query.cursor" = { dictionary = "cursors", probability = 1.0 }',
    '[checks.negative_data_rejection]',
    `expected-statuses = ${toml(NEGATIVE_REJECTED)}`,
    '[[operations]]',
    `include-operation-id = ${toml(Object.entries(ROUTES as Record<string, RouteSpec>).filter(([, spec]) => spec.idempotent).map(([id]) => id))}`,
    `checks.positive_data_acceptance.expected-statuses = ${toml([...POSITIVE_ACCEPTED, '422'])}`,
    '[[operations]]',
    'include-operation-id = "summaryReport"',
    `checks.positive_data_acceptance.expected-statuses = ${toml([...POSITIVE_ACCEPTED, '400'])}`,
    '[[operations]]',
    'include-operation-id = "listIncidents"',
    `phases.coverage.checks.positive_data_acceptance.expected-statuses = ${toml([...POSITIVE_ACCEPTED, '400'])}`,
    '',
  ].join('\n');
}

async function runSchemathesis(name: string, url: string, authorization: string | undefined, configFile: string): Promise<Outcome> {
  const dir = path.join(REPORT_DIR, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const args = [
    '--config-file', configFile,
    'run', `${url}/openapi.json`,
    '--checks', 'all',
    '--mode', 'all',
    '--phases', 'examples,coverage,fuzzing,stateful',
    '--max-examples', String(MAX_EXAMPLES),
    '--seed', String(SEED),
    '--generation-database', 'none',
    '--continue-on-failure',
    '--workers', '2',
    '--request-timeout', '45',
    // The event stream never ends: every call would wait out the timeout. Its contract is tested by its own suite.
    '--exclude-path', '/v1/events',
    '--report', 'junit,ndjson',
    '--report-dir', dir,
    '--no-color',
    ...(authorization ? ['--header', `Authorization: ${authorization}`] : []),
  ];
  const started = performance.now();
  const log = createWriteStream(path.join(dir, 'console.txt'));
  const exitCode = await new Promise<number>((resolve, reject) => {
    // Asynchronous: the API under test runs in this very process and must keep answering.
    const child = spawn(SCHEMATHESIS, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCHEMATHESIS_HOOKS: '' } });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  log.end();
  const seconds = (performance.now() - started) / 1000;
  return { run: name, seconds, exitCode, ...(await summarise(path.join(dir, findNdjson(dir)))) };
}

function findNdjson(dir: string): string {
  const candidates = ['events.ndjson'];
  for (const c of candidates) if (existsSync(path.join(dir, c))) return c;
  const { readdirSync } = require('node:fs') as typeof import('node:fs');
  const found = readdirSync(dir).find((f) => f.endsWith('.ndjson'));
  if (!found) throw new Error(`no NDJSON report in ${dir}`);
  return found;
}

interface CheckNode {
  name: string;
  status: string;
  failure_info?: { failure?: { operation?: string; title?: string; message?: string } };
}

/** Cases, operations and failures by check, from the NDJSON event stream. */
async function summarise(file: string): Promise<Omit<Outcome, 'run' | 'seconds' | 'exitCode'>> {
  const operations = new Set<string>();
  const failures = new Map<string, number>();
  const seen = new Set<string>();
  let cases = 0;
  let errors = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Record<string, unknown>;
    const [kind, payload] = Object.entries(event)[0] as [string, Record<string, unknown>];
    if (kind === 'ScenarioFinished') {
      const recorder = payload.recorder as { label: string; checks?: Record<string, CheckNode[]>; interactions?: Record<string, unknown> };
      // Operations are "METHOD /path"; the stateful phase records its scenarios under another label.
      if (/^[A-Z]+ \//.test(recorder.label)) operations.add(recorder.label);
      // Every recorded interaction is one request sent and answered.
      cases += Object.keys(recorder.interactions ?? {}).length;
      for (const checks of Object.values(recorder.checks ?? {})) {
        for (const check of checks) {
          if (check.status !== 'failure') continue;
          const failure = check.failure_info?.failure;
          const key = `${check.name} ${failure?.operation ?? recorder.label}: ${failure?.title ?? ''}: ${(failure?.message ?? '').split('\n')[0]}`;
          if (seen.has(key)) continue;
          seen.add(key);
          failures.set(check.name, (failures.get(check.name) ?? 0) + 1);
        }
      }
    } else if (kind === 'NonFatalError') {
      errors += 1;
    }
  }
  writeFileSync(path.join(path.dirname(file), 'failures.txt'), [...seen].sort().join('\n') + '\n');
  return { operations: operations.size, cases, failures, errors };
}

async function seed(url: string, keys: Record<Role, string>): Promise<{ incidents: string[]; cursors: string[] }> {
  const call = async (method: string, route: string, key: string, body: unknown) => {
    const res = await fetch(url + route, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 300) throw new Error(`seeding ${method} ${route} answered ${res.status}: ${JSON.stringify(json)}`);
    return json;
  };
  const incidents: string[] = [];
  for (const [i, severity] of (['high', 'medium', 'low'] as const).entries()) {
    const opened = await call('POST', '/v1/alerts', keys.integration, { source: 'fuzz-seed', sourceRef: `seed-${i}`, title: `Seeded incident ${i}`, severity, dedupKey: `fuzz-seed-${i}` });
    incidents.push(String(opened.incidentId));
  }
  // One acknowledged and assessed, so decisions meet incidents in more than one phase.
  const [first, second] = incidents as [string, string, string];
  await call('POST', `/v1/incidents/${first}/acknowledge`, keys.responder, {});
  await call('POST', `/v1/incidents/${second}/acknowledge`, keys.responder, {});
  await call('POST', `/v1/incidents/${second}/assessment`, keys.manager, { severity: 'medium', category: 'malware', strategy: 'contain_first', externalAssistance: false });
  // Cursors are opaque: only ones the API issued can be valid, so the generator draws from these.
  // The read model catches up with the workflows asynchronously; wait for the seeded incidents.
  const cursors: string[] = [];
  for (let attempt = 0; attempt < 100 && cursors.length < 2; attempt++) {
    cursors.length = 0;
    for (const limit of [1, 2]) {
      const page = await fetch(`${url}/v1/incidents?limit=${limit}`, { headers: { authorization: `Bearer ${keys.manager}` } }).then((r) => r.json() as Promise<{ nextCursor: string | null }>);
      if (page.nextCursor) cursors.push(page.nextCursor);
    }
    if (cursors.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  if (cursors.length < 2) throw new Error('the seeded incidents never reached the read model');
  return { incidents, cursors };
}

function table(outcomes: Outcome[]): string {
  const checks = [...new Set(outcomes.flatMap((o) => [...o.failures.keys()]))].sort();
  const header = ['run', 'operations', 'cases sent', 'seconds', 'failures', ...checks, 'errors'];
  const rows = outcomes.map((o) => {
    const total = [...o.failures.values()].reduce((a, b) => a + b, 0);
    return [o.run, o.operations, o.cases, o.seconds.toFixed(0), total, ...checks.map((c) => o.failures.get(c) ?? 0), o.errors].map(String);
  });
  const sum = (i: number) => rows.reduce((a, r) => a + Number(r[i]), 0);
  rows.push(['total', '', String(sum(2)), String(sum(3)), ...header.slice(4).map((_, j) => String(sum(4 + j)))]);
  return [header, header.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

async function main(): Promise<void> {
  if (!existsSync(SCHEMATHESIS)) throw new Error(`Schemathesis not found at ${SCHEMATHESIS}: run \`make fuzz\`, which installs it`);
  // What the API logs at error level (the cause behind any 5xx) goes beside the reports.
  mkdirSync(REPORT_DIR, { recursive: true });
  rmSync(path.join(REPORT_DIR, 'api-errors.log'), { force: true });
  const stack = await startStack({ apiLogger: pino({ level: 'error' }, pino.destination({ dest: path.join(REPORT_DIR, 'api-errors.log'), sync: true })) });
  const { api } = stack;
  const keys = {} as Record<Role, string>;
  for (const role of ROLES) keys[role] = await stack.key(role);
  // Keys the admin run may revoke without cutting off the runs that follow it.
  const store = new ApiKeyStore(stack.pool);
  const spareKeys = await Promise.all(Array.from({ length: 5 }, (_, i) => store.create(`fuzz-spare-${i}`, 'integration').then((k) => k.keyId)));
  const outcomes: Outcome[] = [];
  try {
    const { incidents, cursors } = await seed(api.url, keys);
    const configFile = path.join(REPORT_DIR, 'schemathesis.toml');
    writeFileSync(configFile, configFor({ incidents, spareKeys, cursors }));
    const version = await new Promise<string>((resolve) => {
      const child = spawn(SCHEMATHESIS, ['--version'], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('close', () => resolve(out.trim()));
    });
    console.log(`${version}; max ${MAX_EXAMPLES} examples per operation and phase, seed ${SEED}, ${os.cpus().length} cores, Node ${process.version}`);
    const authorizations: Record<string, string | undefined> = {
      ...Object.fromEntries(ROLES.map((role) => [role, `Bearer ${keys[role]}`])),
      anonymous: undefined,
      'bad-key': `Bearer fbk_0123456789abcdef_${'A'.repeat(43)}`,
    };
    for (const name of RUN_NAMES) {
      if (!(name in authorizations)) throw new Error(`unknown run ${name}; known: ${Object.keys(authorizations).join(', ')}`);
      const outcome = await runSchemathesis(name, api.url, authorizations[name], configFile);
      outcomes.push(outcome);
      console.log(`${name}: ${outcome.cases} cases over ${outcome.operations} operations in ${outcome.seconds.toFixed(0)} s, ${[...outcome.failures.values()].reduce((a, b) => a + b, 0)} failures (schemathesis exit ${outcome.exitCode})`);
    }
  } finally {
    await stack.stop();
  }
  console.log(`\n${table(outcomes)}\n\nReports: ${path.relative(ROOT, REPORT_DIR) || '.'}/<run>/ (console.txt, junit.xml, events.ndjson)`);
  // A failed check fails the run. Errors are the generator's own (it could not build a case) and
  // are reported beside; a non-zero exit with neither means Schemathesis itself did not finish.
  const failed = outcomes.some((o) => o.failures.size > 0 || (o.exitCode !== 0 && o.errors === 0));
  process.exit(failed ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
