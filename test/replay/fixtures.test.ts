import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { replayRuns } from '../../src/audit/replay';
import { incidentWorkflowsPath } from '../../src/worker/incident-worker';

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
