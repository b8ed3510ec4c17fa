import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../../src/net';
import { temporalCliPath } from '../../../src/temporal/binaries';

const ROOT = path.resolve(__dirname, '../../..');
const DEV_STACK = path.join(ROOT, 'dist/src/stack/dev-stack.js');

export type DevKeyRole = 'admin' | 'integration' | 'responder' | 'manager' | 'auditor';

export interface BrowserStack {
  /** The API, which serves the console at /console. */
  url: string;
  /** The dev OpenID provider's issuer. */
  oidcUrl: string;
  /** The keys `make up` issued, one per role, from the data folder's dev-keys.json. */
  keys: Record<DevKeyRole, string>;
  /** Everything the stack printed so far. */
  output(): string;
  /** A call to the API with one of the stack's keys, as an integration or a script makes it. */
  api(method: string, route: string, key: DevKeyRole, body?: unknown): Promise<{ status: number; body: any }>;
  /** Ctrl-C, as a user stops `make up`; the data folder goes with it. */
  stop(): Promise<void>;
}

/**
 * The whole system as `make up` starts it: the build's dev-stack.js (Temporal dev server, embedded
 * PostgreSQL, worker, checkpoint signer, API with the console, the dev OpenID provider), on ports
 * and a data folder of its own.
 */
export async function startBrowserStack(): Promise<BrowserStack> {
  if (!existsSync(DEV_STACK)) throw new Error(`${DEV_STACK} is missing: run \`npm run build\` first (\`npm test\` does)`);
  if (!existsSync(path.join(ROOT, 'dist/console/app.js'))) throw new Error('dist/console/app.js is missing: run `npm run build` first (`npm test` does)');
  // As root, PostgreSQL runs as `postgres`, which must be able to enter the data folder.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-browser-'));
  chmodSync(dataDir, 0o755);
  const [api, temporal, ui, postgres, oidc] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  let output = '';
  let exitCode: number | null = null;
  const child: ChildProcess = spawn(process.execPath, [DEV_STACK], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_CLI_PATH: temporalCliPath(),
      FIREBREAK_DATA_DIR: dataDir,
      PORT: String(api),
      TEMPORAL_PORT: String(temporal),
      TEMPORAL_UI_PORT: String(ui),
      POSTGRES_PORT: String(postgres),
      OIDC_PORT: String(oidc),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, like a terminal's foreground job, so Ctrl-C reaches all of it.
    detached: true,
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.once('exit', (code) => (exitCode = code ?? -1));
  // A test run that ends without stopping it (killed, or forced out) takes the stack's processes with it.
  const orphanGuard = () => {
    if (exitCode === null) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', orphanGuard);
  const kill = async (signal: NodeJS.Signals) => {
    if (exitCode !== null) return;
    const gone = once(child, 'exit');
    try {
      process.kill(-child.pid!, signal);
    } catch {
      return;
    }
    await gone;
  };
  try {
    await waitFor('the dev stack', async () => {
      if (exitCode !== null) throw new Error(`exited with ${exitCode} before it was up:\n${output}`);
      if (!output.includes('Firebreak is up.')) throw new Error('not up yet');
    }, 150_000, 250);
  } catch (err) {
    await kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const keys = JSON.parse(readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as Record<DevKeyRole, string>;
  const url = `http://127.0.0.1:${api}`;
  return {
    url,
    oidcUrl: `http://127.0.0.1:${oidc}`,
    keys,
    output: () => output,
    async api(method, route, key, body) {
      const res = await fetch(`${url}${route}`, {
        method,
        headers: { authorization: `Bearer ${keys[key]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async stop() {
      // Ctrl-C first; a stack that does not stop within 30 s is killed, so the run still ends.
      const timer = setTimeout(() => void kill('SIGKILL'), 30_000);
      await kill('SIGINT');
      clearTimeout(timer);
      process.removeListener('exit', orphanGuard);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let alertCount = 0;

/** An alert as an EDR reports it, over HTTP with the integration key; answers the incident's id. */
export async function postAlert(stack: BrowserStack, title: string, severity: 'critical' | 'high' | 'medium' | 'low' = 'high'): Promise<string> {
  alertCount += 1;
  const ref = `browser-${Date.now()}-${alertCount}`;
  const res = await stack.api('POST', '/v1/alerts', 'integration', {
    source: 'edr',
    sourceRef: ref,
    title,
    severity,
    dedupKey: ref,
    assets: [{ kind: 'host', id: `web-${alertCount}` }],
  });
  if (res.status !== 202) throw new Error(`POST /v1/alerts answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.incidentId as string;
}
