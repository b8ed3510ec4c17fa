import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { answeredPrefix, replayRuns } from '../../src/audit/replay';
import { incidentWorkflowsPath } from '../../src/worker/incident-worker';
import { incidentWorkflowBundle } from '../support/workflow-bundle';

const FIXTURE_DIR = path.join(__dirname, '..', 'fixtures', 'histories');
const fixtures = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();

const load = (file: string) => ({ runId: file, history: JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) });

describe('saved histories replay against the current workflow code', () => {
  it('has fixtures for every recorded path', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
    for (const name of ['contain-first-closed', 'evidence-first-closed', 'dismissed', 'escalated-to-top', 'continued-as-new.run1', 'continued-as-new.run2']) {
      expect(fixtures.some((f) => f.includes(name))).toBe(true);
    }
  });

  it('replays every fixture cleanly', async () => {
    const verdicts = await replayRuns('fixtures', fixtures.map(load), { workflowsPath: incidentWorkflowsPath() });
    expect(verdicts.filter((v) => !v.replayed)).toEqual([]);
    expect(verdicts).toHaveLength(fixtures.length);
  });

  it('fails every fixture against a deliberately incompatible workflow, naming the divergence', async () => {
    const verdicts = await replayRuns('fixtures', fixtures.map(load), { workflowsPath: require.resolve('./incompatible') });
    expect(verdicts).toHaveLength(fixtures.length);
    expect(verdicts.map((v) => v.runId)).toEqual(fixtures);
    for (const verdict of verdicts) {
      expect(verdict.replayed).toBe(false);
      expect(verdict.divergence?.kind).toBe('DeterminismViolationError');
      expect(verdict.divergence?.reason).toMatch(/[Nn]ondeterminism/);
      expect(verdict.divergence?.eventId).toBeGreaterThan(0); // the first event the code could not match
    }
  });
});

describe('replaying a running workflow', () => {
  it('stops at the last task the code answered, so a task still in flight cannot stall the replay', () => {
    const events = [
      { eventId: '1', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED' },
      { eventId: '2', eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED' },
      { eventId: '3', eventType: 'EVENT_TYPE_WORKFLOW_TASK_STARTED' },
      { eventId: '4', eventType: 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED' },
      { eventId: '5', eventType: 'EVENT_TYPE_TIMER_STARTED' },
      { eventId: '6', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED' },
      { eventId: '7', eventType: 'EVENT_TYPE_WORKFLOW_TASK_SCHEDULED' },
    ];
    expect(answeredPrefix({ events }).events.map((e) => e.eventId)).toEqual(['1', '2', '3', '4']);
    const closed = [...events.slice(0, 4), { eventId: '5', eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' }];
    expect(answeredPrefix({ events: closed }).events).toHaveLength(5);
  });
});

describe('a replay that cannot finish in time', () => {
  it('answers ReplayTimedOut for every run it did not get to, instead of waiting without end', async () => {
    const some = fixtures.slice(0, 3).map(load);
    const code = { workflowBundle: await incidentWorkflowBundle() };
    const verdicts = await replayRuns('fixtures', some, code, 1);
    expect(verdicts.map((v) => [v.runId, v.replayed, v.divergence?.kind])).toEqual(some.map((f) => [f.runId, false, 'ReplayTimedOut']));
    expect(verdicts[0]?.divergence?.reason).toMatch(/did not finish within/);
    // Given time, the same runs replay cleanly (and the abandoned replay has finished by then).
    expect((await replayRuns('fixtures', some, code)).every((v) => v.replayed)).toBe(true);
  });
});
