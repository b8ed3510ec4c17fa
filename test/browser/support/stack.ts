import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { DevStackProcess, devStackDataDir, devStackOnFreePorts, ROOT } from '../../support/dev-stack-process';

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
  /** The error and fatal lines of its log so far (pino's levels 50 and 60), for a failure's message. */
  loggedErrors(): string[];
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
  if (!existsSync(path.join(ROOT, 'dist/console/app.js'))) throw new Error('dist/console/app.js is missing: run `npm run build` first (`npm test` does)');
  const dataDir = devStackDataDir('firebreak-browser-');
  const { env, apiUrl: url, oidcUrl } = await devStackOnFreePorts(dataDir);
  const stack = new DevStackProcess(env);
  try {
    await stack.start(150_000);
  } catch (err) {
    await stack.kill();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const keys = JSON.parse(readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as Record<DevKeyRole, string>;
  return {
    url,
    oidcUrl,
    keys,
    output: () => stack.output,
    loggedErrors: () => stack.output.split('\n').filter((line) => /"level":(50|60)\b/.test(line)),
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
      const timer = setTimeout(() => void stack.kill(), 30_000);
      await stack.stop('SIGINT');
      clearTimeout(timer);
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
