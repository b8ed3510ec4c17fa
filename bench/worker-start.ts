/**
 * Worker start: milliseconds from a worker process's start until it polls, and its resident memory
 * then, for the production worker (dist/workers/incident-worker.js) loading the prebuilt workflow
 * bundle of `npm run build` and bundling the workflows at start (FIREBREAK_WORKFLOW_BUNDLE=off),
 * beside a raw SDK worker of the trivial workflow started both ways (a bundle file, or its
 * workflowsPath). The starts of each kind alternate, against one stack.
 *
 *   npm run build && node dist/bench/worker-start.js [starts]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { installQuietRuntime } from './quiet-runtime';
import type { TrivialActivities } from './workflows/trivial';
// The harness (and the API it starts) is loaded in main() only: the raw worker runs this file too, and stays lean.
type Harness = typeof import('./harness');

/** The line every kind of worker writes to stdout when it is about to poll. */
const POLLING = 'worker polling';

interface Start {
  ms: number;
  rssBytes: number;
}

interface Kind {
  /** The phase's name under --cpu-prof (one word). */
  id: string;
  name: string;
  /** The command and the environment it runs with (on top of the stack's). */
  command: string[];
  env: NodeJS.ProcessEnv;
  starts: Start[];
}

/** Resident memory of a process, from /proc (Linux), else from ps. */
async function rssOf(pid: number): Promise<number> {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(status, 'utf8'))?.[1];
    if (kb) return Number(kb) * 1024;
  }
  const ps = spawn('ps', ['-o', 'rss=', '-p', String(pid)]);
  let out = '';
  ps.stdout.on('data', (d) => (out += d));
  await once(ps, 'exit');
  return Number(out.trim()) * 1024;
}

/** Starts one worker process, waits for its polling line, reads its memory, stops it (SIGTERM, then SIGKILL). */
async function startOnce(kind: Kind, env: NodeJS.ProcessEnv): Promise<Start> {
  const started = performance.now();
  const child = spawn(process.execPath, kind.command, { env: { ...env, ...kind.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  createInterface({ input: child.stderr }).on('line', keep);
  try {
    const ms = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        keep(line);
        if (line.includes(POLLING)) resolve(performance.now() - started);
      });
      child.once('exit', (code) => reject(new Error(`${kind.name}: exited with ${code} before polling:\n${tail.join('\n')}`)));
    });
    return { ms, rssBytes: await rssOf(child.pid!) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

/** The raw baseline's child: a plain SDK worker of the trivial workflow, from a bundle file or bundling its workflowsPath. */
async function rawWorker(address: string, taskQueue: string, bundle: string | undefined): Promise<void> {
  installQuietRuntime();
  const connection = await NativeConnection.connect({ address });
  const activities: TrivialActivities = { touch: async () => undefined };
  const worker = await Worker.create({
    connection,
    namespace: 'default',
    taskQueue,
    activities,
    ...(bundle ? { workflowBundle: { codePath: bundle } } : { workflowsPath: require.resolve('./workflows/trivial') }),
  });
  console.log(JSON.stringify({ msg: POLLING }));
  await worker.run();
  await connection.close();
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

async function main(): Promise<void> {
  const { bundleToFile, machine, median, numericArgs, phase, ratio, startStack, table, trivialWorkflowsPath }: Harness = await import('./harness');
  const { loadPrebuiltBundle, PREBUILT_BUNDLE_DIRECTORY, WORKFLOW_BUNDLE_ENV } = await import('../src/worker/prebuilt-bundle');
  const { benchDecisionKeys } = await import('./decision-keys');
  const [starts] = numericArgs(5);
  const prebuilt = loadPrebuiltBundle({}, PREBUILT_BUNDLE_DIRECTORY);
  if (!prebuilt.bundle) throw new Error(`${prebuilt.reason}: the benchmark compares the prebuilt bundle with bundling at start`);
  // The worker processes trust the bench key pair, which this puts in the environment they inherit.
  benchDecisionKeys();
  const stack = await startStack();
  const work = mkdtempSync(path.join(os.tmpdir(), 'firebreak-worker-start-'));
  try {
    const trivialBundle = await bundleToFile(trivialWorkflowsPath(), path.join(work, 'trivial-bundle.js'));
    const address = (stack.client.connection as Connection).options.address;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: stack.pool.options.connectionString,
      TEMPORAL_ADDRESS: address,
      // A queue of its own: the stack's worker and its incidents are not part of what is measured.
      TEMPORAL_TASK_QUEUE: 'bench-worker-start',
      LOG_LEVEL: 'info',
    };
    const worker = path.resolve(__dirname, '../workers/incident-worker.js');
    const self = __filename;
    const kinds: Kind[] = [
      { id: 'firebreak-prebuilt', name: 'Firebreak worker, prebuilt bundle', command: [worker], env: { [WORKFLOW_BUNDLE_ENV]: '' }, starts: [] },
      { id: 'firebreak-bundled', name: 'Firebreak worker, bundled at start', command: [worker], env: { [WORKFLOW_BUNDLE_ENV]: 'off' }, starts: [] },
      { id: 'raw-prebuilt', name: 'raw SDK worker (trivial workflow), bundle file', command: [self, '--raw-worker', address, 'bench-worker-start-raw', trivialBundle], env: {}, starts: [] },
      { id: 'raw-bundled', name: 'raw SDK worker (trivial workflow), bundled at start', command: [self, '--raw-worker', address, 'bench-worker-start-raw'], env: {}, starts: [] },
    ];
    // Alternating, so load from elsewhere on the machine falls on every kind alike.
    for (let i = 0; i < starts!; i++) {
      for (const kind of kinds) {
        const start = await phase(kind.id, () => startOnce(kind, env));
        kind.starts.push(start);
        console.error(`${kind.name} #${i + 1}: ${start.ms.toFixed(0)} ms, ${mb(start.rssBytes)} MB`);
      }
    }
    const [prebuiltKind, bundledKind, rawFile, rawBundled] = kinds as [Kind, Kind, Kind, Kind];
    const ms = (k: Kind) => k.starts.map((s) => s.ms);
    const row = (k: Kind, raw: Kind): Array<string | number> => [
      k.name,
      k.starts.length,
      median(ms(k)).toFixed(0),
      Math.min(...ms(k)).toFixed(0),
      Math.max(...ms(k)).toFixed(0),
      mb(median(k.starts.map((s) => s.rssBytes))),
      k === raw ? '1.00' : ratio(median(ms(k)), median(ms(raw))),
    ];
    console.log(`\n### Worker start (${machine()})\n`);
    console.log(`\`node dist/bench/worker-start.js ${starts}\`: from the process's start until it polls; RSS read then.\n`);
    console.log(
      table(
        ['worker', 'starts', 'median ms', 'min ms', 'max ms', 'RSS MB (median)', 'median vs raw of the same way'],
        [row(prebuiltKind, rawFile), row(bundledKind, rawBundled), row(rawFile, rawFile), row(rawBundled, rawBundled)],
      ),
    );
    console.log(`\nPrebuilt bundle vs bundling at start, Firebreak worker: ${ratio(median(ms(prebuiltKind)), median(ms(bundledKind)))}× the start time, ${ratio(median(prebuiltKind.starts.map((s) => s.rssBytes)), median(bundledKind.starts.map((s) => s.rssBytes)))}× the RSS.`);
  } finally {
    rmSync(work, { recursive: true, force: true });
    await stack.stop();
  }
}

if (process.argv[2] === '--raw-worker') {
  rawWorker(process.argv[3]!, process.argv[4]!, process.argv[5]).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
} else {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
