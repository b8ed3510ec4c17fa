import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApiKeyStore } from '../../src/db/api-key-store';
import { freePort, waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server';
import { spawnFromBuild, type NodeProcess } from '../faults/support/node-process';
import { freshDatabase, type TestDatabase } from '../support/database';
import { TEST_DECISION_ENV } from '../support/decision-keys';
import { httpRequest, uniqueKey } from '../support/stack';

/** Every line a process wrote, stdout and stderr alike, parsed: a line that is not JSON fails here, named. */
function jsonLines(file: string): Array<Record<string, any>> {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`${path.basename(file)} wrote a line that is not JSON: ${line}`);
      }
    });
}

/**
 * The API and the worker as users run them, their Temporal SDK included: one JSON line format on
 * their output, when all is well and when Temporal goes away (the core's warnings came as plain
 * text on stderr before).
 */
describe("the API's and the worker's logs, the Temporal SDK's lines included", () => {
  jest.setTimeout(180_000);
  let db: TestDatabase;
  let dir: string;
  let temporal: DevServer;
  const processes: NodeProcess[] = [];

  beforeAll(async () => {
    db = await freshDatabase();
    dir = mkdtempSync(path.join(os.tmpdir(), 'firebreak-process-logs-'));
    const temporalPort = await freePort();
    temporal = await startDevServer({ cliPath: temporalCliPath(), port: temporalPort, dbFile: path.join(dir, 'temporal.sqlite'), fastSqlite: true });
  });
  afterAll(async () => {
    for (const p of processes) await p.kill('SIGKILL');
    await temporal?.stop();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('are JSON lines throughout, and the core’s warnings after Temporal went away are among them', async () => {
    const apiPort = await freePort();
    const taskQueue = uniqueKey('process-logs');
    const env = { ...TEST_DECISION_ENV, DATABASE_URL: db.url, TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, HOST: '127.0.0.1', PORT: String(apiPort), LOG_LEVEL: 'info' };
    const apiLog = path.join(dir, 'api.log');
    const workerLog = path.join(dir, 'worker.log');
    processes.push(await spawnFromBuild('workers/incident-worker.js', [], env, { logFile: workerLog, readyMarker: 'worker polling' }));
    processes.push(await spawnFromBuild('src/api/server.js', [], env, { logFile: apiLog, readyMarker: 'API listening' }));
    const url = `http://127.0.0.1:${apiPort}`;
    const key = (await new ApiKeyStore(db.pool).create('process-logs', 'integration')).token;
    const alert = () => ({ source: 'edr', sourceRef: uniqueKey('ref'), title: 'Beacon to a known C2', severity: 'high', dedupKey: uniqueKey('key') });

    expect((await httpRequest(url, 'POST', '/v1/alerts', { key, body: alert() })).status).toBe(202);
    await waitFor('the worker’s RUNNING line', async () => {
      expect(jsonLines(workerLog)).toContainEqual(expect.objectContaining({ level: 30, name: 'firebreak-worker', component: 'temporal-sdk', sdkComponent: 'worker', msg: 'Worker state changed', state: 'RUNNING', taskQueue }));
    }, 10_000);

    // Killed, and asked at once: the API's probe has not noticed yet, so the call goes to the core, which retries it.
    temporal.process.kill('SIGKILL');
    const refused = await httpRequest(url, 'POST', '/v1/alerts', { key, body: alert() });
    expect(refused.status).toBe(503);
    await waitFor('the core’s warnings in both logs', async () => {
      for (const [file, name] of [[apiLog, 'firebreak-api'], [workerLog, 'firebreak-worker']] as const) {
        expect(jsonLines(file).filter((line) => line.sdkComponent === 'core')).toContainEqual(expect.objectContaining({ level: 40, name, component: 'temporal-sdk', msg: expect.any(String) }));
      }
    }, 30_000);
  });
});
