import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../src/net';
import { freeServerPort, isFree, temporalKind, temporalServerInstall, temporalServerPortsFrom, TEMPORAL_LABELS } from '../../src/temporal/temporal-server';

const ROOT = path.resolve(__dirname, '../..');
const DEV_STACK = path.join(ROOT, 'dist/src/stack/dev-stack.js');

const isBuilt = () => {
  try {
    temporalServerInstall();
    return true;
  } catch {
    return false;
  }
};
// As the server's own test: where it is built, and always under FIREBREAK_TEMPORAL=server.
const asked = temporalKind(process.env.FIREBREAK_TEMPORAL, 'FIREBREAK_TEMPORAL') === 'server';
const describeWithServer = asked || isBuilt() ? describe : describe.skip;

/** A frontend port whose fixed neighbours (temporalServerPortsFrom) are free too. */
async function freeFrontendPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const frontend = await freeServerPort();
    const ports = Object.values(temporalServerPortsFrom(frontend));
    if (ports.every((p) => p > 1024 && p <= 32_767) && (await Promise.all(ports.map(isFree))).every(Boolean)) return frontend;
  }
  throw new Error('no frontend port with free neighbours');
}

/**
 * `make up-on-temporal-server`: the dev stack with the Temporal server itself on the embedded
 * PostgreSQL. An incident opened before a Ctrl-C is still running in Temporal after the next start.
 */
describeWithServer('the dev stack on the Temporal server (FIREBREAK_TEMPORAL=server)', () => {
  jest.setTimeout(300_000);
  let dataDir: string;
  let stack: ChildProcess | undefined;
  let output = '';
  let exitCode: number | null = null;
  let env: NodeJS.ProcessEnv;
  let apiUrl: string;

  async function start(): Promise<void> {
    output = '';
    exitCode = null;
    const child = spawn(process.execPath, [DEV_STACK], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    stack = child;
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => (exitCode = code));
    await waitFor('the dev stack', async () => {
      if (exitCode !== null) throw new Error(`exited with ${exitCode} before it was up:\n${output}`);
      if (!output.includes('Firebreak is up.')) throw new Error('not up yet');
    }, 180_000, 250);
  }

  async function stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const gone = once(stack!, 'exit');
    process.kill(-stack!.pid!, 'SIGINT');
    const [code, signal] = (await gone) as [number | null, NodeJS.Signals | null];
    return { code, signal };
  }

  const keys = () => JSON.parse(readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as Record<string, string>;
  const call = (method: string, url: string, key: string, body?: unknown) =>
    fetch(`${apiUrl}${url}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    if (!existsSync(DEV_STACK)) throw new Error(`${DEV_STACK} is missing: run \`npm run build\` first (\`npm test\` does)`);
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-dev-stack-server-'));
    chmodSync(dataDir, 0o755);
    const api = await freePort();
    apiUrl = `http://127.0.0.1:${api}`;
    env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      FIREBREAK_TEMPORAL: 'server',
      FIREBREAK_DATA_DIR: dataDir,
      PORT: String(api),
      TEMPORAL_PORT: String(await freeFrontendPort()),
      POSTGRES_PORT: String(await freePort()),
      OIDC_PORT: String(await freePort()),
    };
  });

  afterAll(async () => {
    if (stack && exitCode === null) {
      const gone = once(stack, 'exit');
      process.kill(-stack.pid!, 'SIGKILL');
      await gone;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up on the Temporal server, keeps an incident across Ctrl-C and a new start, and stops cleanly', async () => {
    await start();
    expect(output).toContain(`(${TEMPORAL_LABELS.server})`);
    expect(output).toContain('Temporal UI  (none: the server has no UI of its own)');

    const opened = await call('POST', '/v1/alerts', keys().integration!, {
      source: 'edr', sourceRef: 'evt-1', title: 'Credential dumping on web-01', severity: 'high', dedupKey: 'web-01-lsass', assets: [{ kind: 'host', id: 'web-01' }],
    });
    expect(opened.status).toBe(202);
    const { incidentId } = (await opened.json()) as { incidentId: string };
    const acked = await call('POST', `/v1/incidents/${incidentId}/acknowledge`, keys().manager!, {});
    expect([acked.status, ((await acked.json()) as { phase: string }).phase]).toEqual([200, 'triage']);

    expect(await stop()).toEqual({ code: 0, signal: null });
    expect(output).not.toMatch(/error while stopping/);

    // The next start finds Temporal's databases in the same PostgreSQL, on the same ports.
    await start();
    const again = await call('POST', '/v1/alerts', keys().integration!, {
      source: 'edr', sourceRef: 'evt-2', title: 'Credential dumping on web-01', severity: 'high', dedupKey: 'web-01-lsass', assets: [{ kind: 'host', id: 'web-01' }],
    });
    expect(again.status).toBe(202);
    expect(((await again.json()) as { incidentId: string }).incidentId).toBe(incidentId);
    // The workflow from before the restart answers a decision: it is still running in Temporal.
    const assessed = await call('POST', `/v1/incidents/${incidentId}/assessment`, keys().manager!, { severity: 'high', category: 'credential-theft', strategy: 'evidence_first', externalAssistance: false });
    expect([assessed.status, ((await assessed.json()) as { phase: string }).phase]).toEqual([200, 'response']);
    const incident = (await (await call('GET', `/v1/incidents/${incidentId}`, keys().manager!)).json()) as { alertCount: number };
    expect(incident.alertCount).toBe(2);

    expect(await stop()).toEqual({ code: 0, signal: null });
    expect(output).not.toMatch(/error while stopping/);
  });
});
