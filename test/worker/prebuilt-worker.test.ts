import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { replayRuns } from '../../src/audit/replay';
import { createIncidentWorker, incidentWorkflowsPath } from '../../src/worker/incident-worker';
import { buildPrebuiltBundle, loadPrebuiltBundle, WORKFLOW_BUNDLE_ENV } from '../../src/worker/prebuilt-bundle';
import { testKeyring } from '../support/decision-keys';
import { TEST_PAYLOAD_CODEC } from '../support/payload-keys';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };

/** The incident workflows bundled as `npm run build` does (here from the sources ts-jest runs), into a folder of their own. */
describe('the incident workflows from a prebuilt bundle', () => {
  let directory: string;
  beforeAll(async () => {
    directory = mkdtempSync(path.join(os.tmpdir(), 'firebreak-prebuilt-'));
    await buildPrebuiltBundle({ workflowsPath: incidentWorkflowsPath(), directory, logger: quiet });
  });
  afterAll(() => {
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  it('are the same bytes as the bundle made at start with the same keys, and replay every fixture cleanly', async () => {
    const loaded = loadPrebuiltBundle(testKeyring('test-1'), directory);
    if (!loaded.bundle) throw new Error(loaded.reason);
    expect(loaded.bundle.code === (await incidentWorkflowBundle(testKeyring('test-1'))).code).toBe(true);

    const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.json')).sort();
    const runs = fixtures.map((file) => ({ runId: file, history: JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) }));
    const verdicts = await replayRuns('fixtures', runs, { workflowBundle: loaded.bundle });
    expect(verdicts.filter((v) => !v.replayed)).toEqual([]);
    expect(verdicts).toHaveLength(fixtures.length);
  });

  describe('run by a worker', () => {
    let stack: TestStack;
    let worker: { worker: Worker; running: Promise<void>; connection: NativeConnection } | undefined;
    const said: string[] = [];
    beforeAll(async () => {
      stack = await startTestStack();
      // The stack's own worker is given a bundle; this one finds the prebuilt bundle as a deployed worker does.
      await stack.stopWorker();
      process.env[WORKFLOW_BUNDLE_ENV] = directory;
      const connection = await NativeConnection.connect({ address: testEnv('temporalAddress') });
      const w = await createIncidentWorker({
        connection,
        namespace: 'default',
        pool: stack.db.pool,
        taskQueue: stack.taskQueue,
        payloadCodec: TEST_PAYLOAD_CODEC,
        workflowCodeLog: { info: (m) => void said.push(m), warn: (m) => void said.push(`warn: ${m}`) },
      });
      worker = { worker: w, running: w.run(), connection };
    });
    afterAll(async () => {
      delete process.env[WORKFLOW_BUNDLE_ENV];
      if (worker) {
        worker.worker.shutdown();
        await worker.running;
        await worker.connection.close();
      }
      await stack?.close();
    });

    it('opens an incident and accepts a decision signed with a key from the environment', async () => {
      expect(said).toEqual(['workflow code: the prebuilt bundle']);
      const opened = await stack.request('POST', '/v1/alerts', {
        key: stack.keys.integration,
        body: { source: 'edr', sourceRef: 'p-1', title: 'Beacon from build-07', severity: 'high', dedupKey: uniqueKey('prebuilt') },
      });
      expect(opened.status).toBe(202);
      // The API signs with FIREBREAK_DECISION_SIGNING_KEY (test-1); the bundle trusts FIREBREAK_DECISION_VERIFY_KEYS, put in at start.
      const ack = await stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
      expect(ack.status).toBe(200);
      expect(ack.body).toMatchObject({ phase: 'triage', acknowledgedBy: { name: 'test-responder' } });
    });
  });
});
