import { readFileSync } from 'node:fs';
import path from 'node:path';
import { hours, minutes } from '../../src/domain/duration';
import { validatePlaybook, type Playbook } from '../../src/domain/playbook';
import {
  applyRejection,
  asksContainmentDecision,
  destructiveApproved,
  nextMoves,
  playbookFacts,
  replacePlaybook,
  startRun,
  stepDone,
  stepEndFromTask,
  stepFailed,
  stepOf,
  stepSkipped,
  stepStarted,
  taskFromStep,
  type PinnedPlaybook,
  type PlaybookRun,
} from '../../src/domain/playbook-run';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { completeTask, skipTask, type IncidentTask } from '../../src/domain/task';
import { alice, maria } from '../support/principals';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();

function playbook(name: string, steps: unknown[], version = 1): Playbook {
  const result = validatePlaybook({ name, version, title: name, steps });
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.playbook;
}

const pin = (p: Playbook, chosen: PinnedPlaybook['chosen'] = 'matched'): PinnedPlaybook => ({ name: p.name, version: p.version, digest: `sha256:${p.name}-${p.version}`, playbook: p, chosen });

const builtIn = (file: string): Playbook => {
  const result = validatePlaybook(JSON.parse(readFileSync(path.join(__dirname, '../../src/domain/playbooks', file), 'utf8')));
  if (!result.ok) throw new Error(file);
  return result.playbook;
};

const task = (id: string, extra: object = {}) => ({ id, title: `Do ${id}`, kind: 'task', instructions: `Do **${id}**.`, owner: { role: 'responder' }, due: '4h', ...extra });
const action = (id: string, extra: object = {}) => ({ id, title: id, kind: 'action', action: 'notify', ...extra });

const incident = {
  severity: 'high' as const,
  category: 'malware',
  assets: [
    { kind: 'host' as const, id: 'web-01' },
    { kind: 'address' as const, id: '203.0.113.7' },
    { kind: 'host' as const, id: 'web-02' },
  ],
  phase: 'response',
  escalationLevel: 1,
};

describe('a playbook run', () => {
  const p = playbook('triage', [task('scope'), action('page', { needs: ['scope'] })]);

  it('starts with no step begun, the version pinned whole', () => {
    const run = startRun(pin(p, 'named'));
    expect(run).toEqual({ pinned: { name: 'triage', version: 1, digest: 'sha256:triage-1', playbook: p, chosen: 'named' }, steps: {} });
    expect(stepOf(run, 'page')!.kind).toBe('action');
    expect(stepOf(run, 'nope')).toBeUndefined();
  });

  it('counts the attempts of a step, keeps the last failure while it waits, and forgets it once done', () => {
    let run = stepStarted(startRun(pin(p)), 'page', at(0));
    expect(run.steps['page']).toEqual({ status: 'running', startedAt: iso(0), attempts: 1 });
    run = stepFailed(run, 'page', 'notifier answered 503');
    expect(run.steps['page']).toMatchObject({ status: 'running', attempts: 1, lastError: 'notifier answered 503' });
    run = stepStarted(run, 'page', at(minutes(30)));
    expect(run.steps['page']).toMatchObject({ status: 'running', attempts: 2, startedAt: iso(minutes(30)) });
    run = stepDone(run, 'page', { sent: true }, at(minutes(31)));
    expect(run.steps['page']).toEqual({ status: 'done', startedAt: iso(minutes(30)), finishedAt: iso(minutes(31)), attempts: 2, outcome: { sent: true } });
  });

  it('records a skip with its reason, also for a step never started', () => {
    const run = stepSkipped(startRun(pin(p)), 'scope', 'condition false', at(5));
    expect(run.steps['scope']).toEqual({ status: 'skipped', attempts: 0, finishedAt: iso(5), reason: 'condition false' });
  });

  it('says what to do next: start the runnable steps, skip those whose condition is false, and when it is finished', () => {
    const branching = playbook('branching', [
      task('scope'),
      task('sev1_only', { needs: ['scope'], when: { '==': [{ var: 'severity' }, 'critical'] } }),
      action('page', { needs: ['scope'] }),
    ]);
    let run = startRun(pin(branching));
    const facts = () => playbookFacts(incident, run, DEFAULT_POLICY.high);
    expect(nextMoves(run, facts())).toEqual({ skip: [], start: ['scope'], finished: false });
    run = stepDone(stepStarted(run, 'scope', at(0)), 'scope', {}, at(1));
    expect(nextMoves(run, facts())).toEqual({ skip: ['sev1_only'], start: ['page'], finished: false });
    run = stepSkipped(run, 'sev1_only', 'condition false', at(2));
    run = stepDone(stepStarted(run, 'page', at(2)), 'page', undefined, at(3));
    expect(nextMoves(run, facts())).toEqual({ skip: [], start: [], finished: true });
  });
});

describe('playbook facts', () => {
  it('give severity, category, each asset kind once in order, and the outcomes of settled steps', () => {
    let run = startRun(pin(playbook('p', [task('scope', { outcomeFields: [{ name: 'confirmed', type: 'boolean' }] }), task('other')])));
    run = stepDone(run, 'scope', { confirmed: true }, at(1));
    run = stepStarted(run, 'other', at(1));
    const facts = playbookFacts(incident, run, DEFAULT_POLICY.high);
    expect(facts).toMatchObject({ severity: 'high', category: 'malware', assetKinds: ['address', 'host'], outcomes: { scope: { confirmed: true } } });
    expect(Object.keys(facts.outcomes)).toEqual(['scope']);
  });

  it('say whether the planned containment is destructive and whether the severity pre-approves it', () => {
    const run = startRun(pin(playbook('p', [task('a')])));
    expect(playbookFacts(incident, run, DEFAULT_POLICY.high)).toMatchObject({ containment: { destructive: true }, policy: { preApprovedContainment: false } });
    const onlyAddresses = { ...incident, severity: 'critical' as const, assets: [{ kind: 'address' as const, id: '198.51.100.1' }] };
    expect(playbookFacts(onlyAddresses, run, DEFAULT_POLICY.critical)).toMatchObject({ containment: { destructive: false }, policy: { preApprovedContainment: true } });
  });

  it('describe the incident’s progress for waits, and an empty category when none is set', () => {
    const run = startRun(pin(playbook('p', [task('a')])));
    const { category: _none, ...uncategorised } = incident;
    expect(playbookFacts({ ...uncategorised, containedAt: iso(1) }, run, DEFAULT_POLICY.high)).toMatchObject({
      category: '',
      incident: { phase: 'response', escalationLevel: 1, contained: true, resolved: false },
    });
  });
});

describe('tasks from steps', () => {
  const p = playbook('p', [
    task('scope', { owner: { incidentRole: 'commander' }, remindEvery: '1h', outcomeFields: [{ name: 'hosts', type: 'number', required: true }], evidence: ['art-1'] }),
    task('notes', { owner: { role: 'manager' } }),
    { id: 'approve', title: 'Approve isolation', kind: 'approval', approvers: ['manager', 'admin'], distinctApprovers: 2, due: '30m' },
    action('page'),
  ]);

  it('open a human task due after its duration, assigned to the holder of its incident role', () => {
    const opened = taskFromStep(stepOf(startRun(pin(p)), 'scope')!, { commander: 'dana' }, at(minutes(5)));
    expect(opened).toEqual<IncidentTask>({
      taskId: 'scope',
      kind: 'task',
      title: 'Do scope',
      instructions: 'Do **scope**.',
      owner: { incidentRole: 'commander' },
      assignee: 'dana',
      status: 'open',
      createdAt: iso(minutes(5)),
      dueAt: iso(minutes(5) + hours(4)),
      remindEvery: hours(1),
      remindersSent: 0,
      overduePages: 0,
      outcomeFields: [{ name: 'hosts', type: 'number', required: true }],
      evidence: ['art-1'],
    });
  });

  it('leave a task for an API role unassigned, and one for an empty incident role too', () => {
    expect(taskFromStep(p.steps[1]!, {}, t0).assignee).toBeUndefined();
    expect(taskFromStep(p.steps[0]!, {}, t0).assignee).toBeUndefined();
  });

  it('open an approval gate for its approver roles and number of distinct approvers', () => {
    expect(taskFromStep(p.steps[2]!, {}, t0)).toMatchObject({ taskId: 'approve', kind: 'approval', approvers: ['manager', 'admin'], distinctApprovers: 2, dueAt: iso(minutes(30)) });
  });

  it('refuse an automated step', () => {
    expect(() => taskFromStep(p.steps[3]!, {}, t0)).toThrow('step page is a action, not a task');
  });

  it('end their step: done with the outcome, skipped with the person’s reason, nothing while open', () => {
    const opened = taskFromStep(p.steps[1]!, {}, t0);
    expect(stepEndFromTask(opened)).toBeUndefined();
    expect(stepEndFromTask(completeTask([opened], { taskId: 'notes' }, maria, at(1))[0]!)).toEqual({ status: 'done', outcome: {} });
    expect(stepEndFromTask(skipTask([opened], { taskId: 'notes', reason: 'no notes needed' }, maria, at(1))[0]!)).toEqual({ status: 'skipped', reason: 'no notes needed' });
    const gate = completeTask([taskFromStep(p.steps[2]!, {}, t0)], { taskId: 'approve', approved: false }, maria, at(1))[0]!;
    expect(stepEndFromTask(gate)).toEqual({ status: 'done', outcome: { approved: false } });
  });
});

describe('destructive containment', () => {
  const gated = playbook('gated', [
    { id: 'approve_containment', title: 'Approve', kind: 'approval', approvers: ['manager'], due: '1h' },
    action('contain', { action: 'contain', needs: ['approve_containment'], params: { destructiveApprovedBy: 'approve_containment' } }),
  ]);
  const contain = gated.steps[1]!;
  const run = (gate?: Record<string, unknown>, status: 'done' | 'skipped' = 'done'): PlaybookRun => {
    const started = startRun(pin(gated));
    if (status === 'skipped') return stepSkipped(started, 'approve_containment', 'condition false', at(1));
    return gate ? stepDone(started, 'approve_containment', gate, at(1)) : started;
  };

  it('runs when the severity pre-approves it, whatever the gate said', () => {
    expect(destructiveApproved(contain, run({ approved: false }), DEFAULT_POLICY.critical)).toBe(true);
  });

  it('runs after the named gate approved it', () => {
    expect(destructiveApproved(contain, run({ approved: true }), DEFAULT_POLICY.high)).toBe(true);
  });

  it('does not run when the gate refused, was skipped, or has not decided', () => {
    expect(destructiveApproved(contain, run({ approved: false }), DEFAULT_POLICY.high)).toBe(false);
    expect(destructiveApproved(contain, run(undefined, 'skipped'), DEFAULT_POLICY.high)).toBe(false);
    expect(destructiveApproved(contain, run(), DEFAULT_POLICY.high)).toBe(false);
  });

  it('never runs unapproved from a step that names no gate', () => {
    const bare = playbook('bare', [action('contain_now', { action: 'contain' })]);
    expect(destructiveApproved(bare.steps[0]!, startRun(pin(bare)), DEFAULT_POLICY.high)).toBe(false);
  });

  it('follows the incident’s containment decision in the built-in playbooks, which ask for it', () => {
    for (const file of ['contain-first.json', 'evidence-first.json']) {
      const builtInPlaybook = builtIn(file);
      const step = builtInPlaybook.steps.find((s) => s.id === 'contain')!;
      expect(asksContainmentDecision(step)).toBe(true);
      const started = startRun(pin(builtInPlaybook));
      expect(destructiveApproved(step, started, DEFAULT_POLICY.high, { approved: true })).toBe(true);
      expect(destructiveApproved(step, started, DEFAULT_POLICY.high, { approved: false })).toBe(false);
      expect(destructiveApproved(step, started, DEFAULT_POLICY.high)).toBe(false);
      expect(destructiveApproved(step, started, DEFAULT_POLICY.critical)).toBe(true);
    }
    expect(asksContainmentDecision(contain)).toBe(false);
  });
});

describe('applying another playbook', () => {
  const first = playbook('phishing', [task('scope'), task('reset_passwords', { needs: ['scope'] }), task('block_sender'), task('report', { needs: ['reset_passwords', 'block_sender'] })]);
  const second = playbook('credential_theft', [task('scope'), task('revoke_sessions', { needs: ['scope'] }), task('block_sender'), task('report', { needs: ['revoke_sessions', 'block_sender'] })]);

  /** scope done, block_sender open as a task, reset_passwords open as a task, one ad-hoc task open. */
  function midway(): { run: PlaybookRun; tasks: IncidentTask[] } {
    let run = startRun(pin(first));
    let tasks: IncidentTask[] = [];
    for (const id of ['scope', 'block_sender']) {
      run = stepStarted(run, id, at(0));
      tasks.push(taskFromStep(stepOf(run, id)!, {}, at(0)));
    }
    tasks = completeTask(tasks, { taskId: 'scope' }, alice, at(minutes(10)));
    run = stepDone(run, 'scope', {}, at(minutes(10)));
    run = stepStarted(run, 'reset_passwords', at(minutes(10)));
    tasks.push(taskFromStep(stepOf(run, 'reset_passwords')!, {}, at(minutes(10))));
    tasks.push({ ...taskFromStep(stepOf(run, 'scope')!, {}, at(minutes(11))), taskId: 'adhoc-1' });
    return { run, tasks };
  }

  it('is refused outside the response, and for the version already running', () => {
    const { run } = midway();
    expect(applyRejection(run, 'triage', pin(second, 'applied'))).toBe('a playbook is applied during the response; the incident is in triage');
    expect(applyRejection(run, 'response', pin(first, 'applied'))).toBe('playbook phishing version 1 is already running');
    expect(applyRejection(run, 'response', pin(playbook('phishing', first.steps, 2), 'applied'))).toBeUndefined();
    expect(applyRejection(undefined, 'response', pin(second, 'applied'))).toBeUndefined();
  });

  it('keeps what is done and what still runs under the same id, so neither is done twice', () => {
    const { run, tasks } = midway();
    const replaced = replacePlaybook(run, tasks, pin(second, 'applied'), maria, at(minutes(20)));
    expect(replaced.run.steps['scope']).toMatchObject({ status: 'done' });
    expect(replaced.run.steps['block_sender']).toMatchObject({ status: 'running' });
    expect(replaced.tasks.find((t) => t.taskId === 'block_sender')!.status).toBe('open');
    expect(nextMoves(replaced.run, playbookFacts(incident, replaced.run, DEFAULT_POLICY.high)).start).toEqual(['revoke_sessions']);
  });

  it('skips the open tasks of steps the new playbook drops, naming it, and leaves ad-hoc tasks alone', () => {
    const { run, tasks } = midway();
    const replaced = replacePlaybook(run, tasks, pin(second, 'applied'), maria, at(minutes(20)));
    expect(replaced.dropped).toEqual(['reset_passwords']);
    expect(replaced.tasks.find((t) => t.taskId === 'reset_passwords')).toMatchObject({
      status: 'skipped',
      skipped: { by: maria, at: iso(minutes(20)), reason: 'replaced by playbook credential_theft version 1' },
    });
    expect(replaced.tasks.find((t) => t.taskId === 'adhoc-1')!.status).toBe('open');
    expect(replaced.tasks.find((t) => t.taskId === 'scope')).toMatchObject({ status: 'done', completed: { by: alice } });
  });

  it('pins the new version and remembers the one it replaced, by whom and when', () => {
    const { run, tasks } = midway();
    const replaced = replacePlaybook(run, tasks, pin(second, 'applied'), maria, at(minutes(20)));
    expect(replaced.run.pinned).toMatchObject({ name: 'credential_theft', version: 1, chosen: 'applied' });
    expect(replaced.run.replaced).toEqual([{ name: 'phishing', version: 1, digest: 'sha256:phishing-1', at: iso(minutes(20)), by: 'maria' }]);
    const again = replacePlaybook(replaced.run, replaced.tasks, pin(first, 'applied'), maria, at(minutes(40)));
    expect(again.run.replaced!.map((r) => r.name)).toEqual(['phishing', 'credential_theft']);
  });

  // A finished action of the old playbook has no task to remember it: its step record keeps it.
  it('keeps the record of a finished step the new playbook does not have', () => {
    const { run, tasks } = midway();
    const withAction = stepDone(stepStarted(run, 'block_sender', at(0)), 'block_sender', { blocked: 3 }, at(minutes(12)));
    const onlyScope = playbook('scope_only', [task('scope'), task('report', { needs: ['scope'] })]);
    const replaced = replacePlaybook(withAction, tasks, pin(onlyScope, 'applied'), maria, at(minutes(20)));
    expect(replaced.run.steps['block_sender']).toMatchObject({ status: 'done', outcome: { blocked: 3 } });
  });

  it('starts an incident that had no playbook on the applied one', () => {
    const replaced = replacePlaybook(undefined, [], pin(second, 'applied'), maria, at(0));
    expect(replaced).toEqual({ run: { pinned: pin(second, 'applied'), steps: {} }, tasks: [], dropped: [] });
  });
});
