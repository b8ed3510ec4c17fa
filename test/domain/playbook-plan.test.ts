import { readFileSync } from 'node:fs';
import path from 'node:path';
import { validatePlaybook, type Playbook } from '../../src/domain/playbook';
import type { PlaybookFacts } from '../../src/domain/playbook-logic';
import { blockedSteps, isPlanFinished, isPlanSucceeded, runnableSteps, stepsNeverRunnable, type StepStatus } from '../../src/domain/playbook-plan';

function playbook(steps: unknown[]): Playbook {
  const result = validatePlaybook({ name: 'test', version: 1, title: 'Test', steps });
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.playbook;
}

const task = (id: string, extra: object = {}) => ({ id, title: id, kind: 'task', instructions: 'Do it.', owner: { role: 'responder' }, due: '4h', ...extra });

const facts = (extra: Partial<PlaybookFacts> = {}): PlaybookFacts => ({ severity: 'high', category: 'malware', assetKinds: ['host'], outcomes: {}, ...extra });

describe('the playbook planner', () => {
  // a → (b, c) → d
  const diamond = playbook([task('a'), task('b', { needs: ['a'] }), task('c', { needs: ['a'] }), task('d', { needs: ['b', 'c'] })]);

  it('starts with the steps that need nothing', () => {
    expect(runnableSteps(diamond, {}, facts())).toEqual(['a']);
  });

  it('runs both branches of a diamond together once their common need is done', () => {
    expect(runnableSteps(diamond, { a: 'running' }, facts())).toEqual([]);
    expect(runnableSteps(diamond, { a: 'done' }, facts())).toEqual(['b', 'c']);
  });

  it('joins the branches only when both are settled', () => {
    expect(runnableSteps(diamond, { a: 'done', b: 'done', c: 'running' }, facts())).toEqual([]);
    expect(runnableSteps(diamond, { a: 'done', b: 'done', c: 'done' }, facts())).toEqual(['d']);
  });

  it('lets a step run after a need that was skipped', () => {
    expect(runnableSteps(diamond, { a: 'done', b: 'skipped', c: 'done' }, facts())).toEqual(['d']);
  });

  it('never offers a step twice', () => {
    expect(runnableSteps(diamond, { a: 'done', b: 'running', c: 'done' }, facts())).toEqual([]);
  });

  it('is finished only when every step is settled', () => {
    expect(isPlanFinished(diamond, { a: 'done', b: 'done', c: 'done', d: 'running' })).toBe(false);
    expect(isPlanFinished(diamond, { a: 'done', b: 'done', c: 'skipped' })).toBe(false);
    expect(isPlanFinished(diamond, { a: 'done', b: 'done', c: 'skipped', d: 'done' })).toBe(true);
    expect(isPlanSucceeded(diamond, { a: 'done', b: 'done', c: 'skipped', d: 'done' })).toBe(true);
  });

  it('holds back what follows a failed step, and then counts as finished but not succeeded', () => {
    const progress: Record<string, StepStatus> = { a: 'done', b: 'failed', c: 'done' };
    expect(runnableSteps(diamond, progress, facts())).toEqual([]);
    expect(blockedSteps(diamond, progress)).toEqual(['d']);
    expect(isPlanFinished(diamond, progress)).toBe(true);
    expect(isPlanSucceeded(diamond, progress)).toBe(false);
    expect(isPlanFinished(diamond, { a: 'done', b: 'failed', c: 'running' })).toBe(false);
  });

  describe('conditions', () => {
    const bySeverity = playbook([
      task('page_ciso', { when: { in: [{ var: 'severity' }, ['critical', 'high']] } }),
      task('ticket', { when: { in: [{ var: 'severity' }, ['medium', 'low']] } }),
      task('close', { needs: ['page_ciso', 'ticket'] }),
    ]);

    it('runs a step whose condition on severity holds, and marks the other as never runnable', () => {
      expect(runnableSteps(bySeverity, {}, facts({ severity: 'critical' }))).toEqual(['page_ciso']);
      expect(stepsNeverRunnable(bySeverity, {}, facts({ severity: 'critical' }))).toEqual(['ticket']);
      expect(runnableSteps(bySeverity, {}, facts({ severity: 'low' }))).toEqual(['ticket']);
    });

    it('continues past a step skipped for a false condition', () => {
      expect(runnableSteps(bySeverity, { page_ciso: 'done', ticket: 'skipped' }, facts({ severity: 'critical' }))).toEqual(['close']);
    });

    it('does not judge a condition before the step’s needs are settled', () => {
      const later = playbook([task('first'), task('only_sev1', { needs: ['first'], when: { '==': [{ var: 'severity' }, 'critical'] } })]);
      expect(stepsNeverRunnable(later, {}, facts({ severity: 'low' }))).toEqual([]);
      expect(stepsNeverRunnable(later, { first: 'done' }, facts({ severity: 'low' }))).toEqual(['only_sev1']);
    });

    it('follows an earlier task’s outcome', () => {
      const phishing = playbook([
        task('scope', { outcomeFields: [{ name: 'credentialsEntered', type: 'boolean', required: true }] }),
        task('reset_password', { needs: ['scope'], when: { '==': [{ var: 'outcomes.scope.credentialsEntered' }, true] } }),
        task('warn_user', { needs: ['scope'], when: { '!': { var: 'outcomes.scope.credentialsEntered' } } }),
      ]);
      const entered = facts({ outcomes: { scope: { credentialsEntered: true } } });
      expect(runnableSteps(phishing, { scope: 'done' }, entered)).toEqual(['reset_password']);
      expect(stepsNeverRunnable(phishing, { scope: 'done' }, entered)).toEqual(['warn_user']);
      const notEntered = facts({ outcomes: { scope: { credentialsEntered: false } } });
      expect(runnableSteps(phishing, { scope: 'done' }, notEntered)).toEqual(['warn_user']);
    });

    it('reads asset kinds', () => {
      const cloud = playbook([task('rotate_keys', { when: { in: ['cloud_resource', { var: 'assetKinds' }] } })]);
      expect(runnableSteps(cloud, {}, facts({ assetKinds: ['host', 'cloud_resource'] }))).toEqual(['rotate_keys']);
      expect(stepsNeverRunnable(cloud, {}, facts({ assetKinds: ['host'] }))).toEqual(['rotate_keys']);
    });

    it('treats a condition on a missing outcome as false rather than failing', () => {
      const p = playbook([task('a'), task('b', { needs: ['a'], when: { '>': [{ var: 'outcomes.a.count' }, 3] } })]);
      expect(runnableSteps(p, { a: 'skipped' }, facts())).toEqual([]);
      expect(stepsNeverRunnable(p, { a: 'skipped' }, facts())).toEqual(['b']);
    });
  });

  describe('the built-in strategies', () => {
    const load = (file: string) => {
      const result = validatePlaybook(JSON.parse(readFileSync(path.join(__dirname, '../../src/domain/playbooks', file), 'utf8')));
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      return result.playbook;
    };

    /** Runs the plan to the end, completing every runnable step and skipping the rest, and returns the order. */
    function walk(p: Playbook, f: PlaybookFacts): Array<[string, StepStatus]> {
      const progress: Record<string, StepStatus> = {};
      const order: Array<[string, StepStatus]> = [];
      for (let round = 0; round < 50 && !isPlanFinished(p, progress); round++) {
        for (const id of stepsNeverRunnable(p, progress, f)) (progress[id] = 'skipped'), order.push([id, 'skipped']);
        for (const id of runnableSteps(p, progress, f)) (progress[id] = 'done'), order.push([id, 'done']);
      }
      return order;
    }

    it('contain first contains (the step asks for the containment decision itself), then collects, patches and recovers', () => {
      expect(walk(load('contain-first.json'), facts({ severity: 'high', containment: { destructive: true }, policy: { preApprovedContainment: false } }))).toEqual([
        ['contain', 'done'], ['collect_evidence', 'done'], ['verify_patches', 'done'], ['recover', 'done'],
      ]);
      expect(load('contain-first.json').steps[0]).toMatchObject({ action: 'contain', params: { approval: 'decision' } });
    });

    it('evidence first collects before containing', () => {
      expect(walk(load('evidence-first.json'), facts({ severity: 'high', containment: { destructive: true }, policy: { preApprovedContainment: false } })).map(([id]) => id)).toEqual([
        'collect_evidence', 'contain', 'verify_patches', 'recover',
      ]);
    });
  });
});
