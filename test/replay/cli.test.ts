import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { replayCli } from '../../src/cli/replay';
import { waitFor } from '../../src/net';
import { temporalCliPath } from '../../src/temporal/binaries';
import { workflowIdFor } from '../../src/temporal/contract';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { incidentWorkflowBundle } from '../support/workflow-bundle';
import { TEST_PAYLOAD_KEYS } from '../support/payload-keys';

/** Runs `npm run replay -- <args>` in-process: its exit status and what it printed. */
async function replay(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await replayCli(args, { workflowBundle: await incidentWorkflowBundle() }, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { status, out: out.join('\n'), err: err.join('\n') };
}

/** Runs `task` with these environment variables set (undefined: unset), then puts them back. */
async function withEnv<T>(vars: Record<string, string | undefined>, task: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) if (value === undefined) delete process.env[name]; else process.env[name] = value;
  };
  apply(vars);
  try {
    return await task();
  } finally {
    apply(saved);
  }
}

describe('npm run replay', () => {
  let stack: TestStack;
  let incidentId: string;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'replay-cli-'));
  const file = (name: string, content: string) => {
    writeFileSync(path.join(dir, name), content);
    return path.join(dir, name);
  };

  beforeAll(async () => {
    stack = await startTestStack();
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'edr', sourceRef: uniqueKey('cli'), title: 'Beacon from build-07', severity: 'high', dedupKey: uniqueKey('cli'), assets: [{ kind: 'host', id: 'build-07' }] },
    });
    incidentId = opened.body.incidentId;
    expect((await stack.request('POST', `/v1/incidents/${incidentId}/acknowledge`, { key: stack.keys.responder, body: {} })).status).toBe(200);
    await waitFor('the acknowledgement in history', async () => {
      const history = await stack.request('GET', `/v1/incidents/${incidentId}/history`, { key: stack.keys.auditor });
      if (!JSON.stringify(history.body).includes('WORKFLOW_EXECUTION_UPDATE_COMPLETED')) throw new Error('not yet');
    }, 20_000, 200);
  }, 120_000);
  afterAll(async () => {
    await stack?.temporal.workflow.getHandle(workflowIdFor(incidentId)).terminate('test finished').catch(() => undefined);
    await stack?.close();
  });

  it('replays the Temporal CLI’s JSON export of a running incident and exits 0', async () => {
    const { stdout } = await promisify(execFile)(temporalCliPath(), [
      'workflow', 'show', '--workflow-id', workflowIdFor(incidentId), '--output', 'json', '--address', testEnv('temporalAddress'), '--namespace', 'default',
    ], { maxBuffer: 16 * 1024 * 1024 });
    // Temporal holds the payloads encrypted: the CLI decrypts them with the keys it is given.
    expect(stdout).not.toContain('build-07');
    const result = await withEnv({ FIREBREAK_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }, () => replay('--file', file('cli-export.json', stdout)));
    expect(result).toMatchObject({ status: 0, err: '' });
    expect(result.out).toMatch(/ok {4}.*cli-export\.json {2}replayed cleanly/);
    // Without them it says what is missing instead of failing inside the replay.
    const locked = await withEnv({ FIREBREAK_PAYLOAD_KEYS: undefined }, () => replay('--file', file('cli-export.json', stdout)));
    expect(locked).toMatchObject({ status: 2, out: '' });
    expect(locked.err).toMatch(/cli-export\.json: its payloads are encrypted; set FIREBREAK_PAYLOAD_KEYS/);
  });

  it('replays the API’s export, every run, and exits 0', async () => {
    const exported = await stack.request('GET', `/v1/incidents/${incidentId}/history`, { key: stack.keys.auditor });
    const result = await replay('--file', file('api-export.json', JSON.stringify(exported.body)));
    expect(result.status).toBe(0);
    expect(result.out.split('\n')[0]).toBe(`${workflowIdFor(incidentId)}:`);
    for (const run of exported.body.runs) expect(result.out).toContain(`ok    ${run.runId}  replayed cleanly`);
  });

  it('replays an incident straight from Temporal', async () => {
    const result = await withEnv({ TEMPORAL_ADDRESS: testEnv('temporalAddress'), DATABASE_URL: stack.db.url, FIREBREAK_PAYLOAD_KEYS: TEST_PAYLOAD_KEYS }, () => replay('--incident', incidentId));
    expect(result.status).toBe(0);
    expect(result.out).toContain(`incident ${incidentId}: 1 run(s) from temporal`);
    expect(result.out).toContain('replayed cleanly');
  });

  it('exits 1 and says how the run diverged when the history does not fit today’s code', async () => {
    const exported = (await stack.request('GET', `/v1/incidents/${incidentId}/history`, { key: stack.keys.auditor })).body;
    // The same history, with the first activity the code scheduled recorded under another name.
    const events = exported.runs[0].history.events;
    const scheduled = events.find((e: { eventType: string }) => e.eventType === 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED');
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'somethingElse';
    const result = await replay('--file', file('tampered.json', JSON.stringify(exported)));
    expect(result.status).toBe(1);
    expect(result.out).toContain(`FAIL  ${exported.runs[0].runId}  first divergence`);
    expect(result.out).toMatch(/Nondeterminism error: Activity type of scheduled event 'somethingElse' does not match/);
  });

  it('exits 2 with the file named for a file that is not a history, and with the usage for no input', async () => {
    const broken = await replay('--file', file('truncated.json', '{"events": [{"eventId": "1", '));
    expect(broken.status).toBe(2);
    expect(broken.out).toBe('');
    expect(broken.err).toMatch(/truncated\.json: not JSON/);

    const other = await replay('--file', file('other.json', JSON.stringify({ incidents: [] })));
    expect(other.status).toBe(2);
    expect(other.err).toMatch(/other\.json: neither a history \(\{events: \[\.\.\.\]\}\) nor an export/);

    const missing = await replay('--file', path.join(dir, 'absent.json'));
    expect(missing.status).toBe(2);
    expect(missing.err).toMatch(/absent\.json: cannot be read/);

    for (const args of [[], ['--incident', 'a', '--file', 'b'], ['--bogus']]) {
      const usage = await replay(...args);
      expect(usage.status).toBe(2);
      expect(usage.err).toContain('usage: npm run replay');
    }
  });
});
