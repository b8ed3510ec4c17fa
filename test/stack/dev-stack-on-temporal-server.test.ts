import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isFree } from '../../src/net';
import { freeServerPort, temporalServerPortsFrom, TEMPORAL_LABELS } from '../../src/temporal/temporal-server';
import { DevStackProcess, devStackDataDir, devStackOnFreePorts } from '../support/dev-stack-process';
import { describeWithTemporalServer } from '../support/temporal-server-built';

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
describeWithTemporalServer('the dev stack on the Temporal server (FIREBREAK_TEMPORAL=server)', () => {
  jest.setTimeout(300_000);
  let dataDir: string;
  let stack: DevStackProcess;
  let apiUrl: string;

  const keys = () => JSON.parse(readFileSync(path.join(dataDir, 'dev-keys.json'), 'utf8')) as Record<string, string>;
  const call = (method: string, url: string, key: string, body?: unknown) =>
    fetch(`${apiUrl}${url}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  beforeAll(async () => {
    dataDir = devStackDataDir('firebreak-dev-stack-server-');
    const where = await devStackOnFreePorts(dataDir);
    apiUrl = where.apiUrl;
    // The server's ports sit around TEMPORAL_PORT, so that port needs free neighbours too.
    stack = new DevStackProcess({ ...where.env, FIREBREAK_TEMPORAL: 'server', TEMPORAL_PORT: String(await freeFrontendPort()) });
  });

  afterAll(async () => {
    await stack?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('comes up on the Temporal server, keeps an incident across Ctrl-C and a new start, and stops cleanly', async () => {
    await stack.start();
    expect(stack.output).toContain(`(${TEMPORAL_LABELS.server})`);
    expect(stack.output).toContain('Temporal UI  (none: the server has no UI of its own)');

    const opened = await call('POST', '/v1/alerts', keys().integration!, {
      source: 'edr', sourceRef: 'evt-1', title: 'Credential dumping on web-01', severity: 'high', dedupKey: 'web-01-lsass', assets: [{ kind: 'host', id: 'web-01' }],
    });
    expect(opened.status).toBe(202);
    const { incidentId } = (await opened.json()) as { incidentId: string };
    const acked = await call('POST', `/v1/incidents/${incidentId}/acknowledge`, keys().manager!, {});
    expect([acked.status, ((await acked.json()) as { phase: string }).phase]).toEqual([200, 'triage']);

    expect(await stack.stop()).toEqual({ code: 0, signal: null });
    expect(stack.output).not.toMatch(/error while stopping/);

    // The next start finds Temporal's databases in the same PostgreSQL, on the same ports.
    await stack.start();
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

    expect(await stack.stop()).toEqual({ code: 0, signal: null });
    expect(stack.output).not.toMatch(/error while stopping/);
  });
});
