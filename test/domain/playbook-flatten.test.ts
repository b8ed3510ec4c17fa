import { readFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_STEPS, validatePlaybook, type Playbook } from '../../src/domain/playbook';
import { flattenPlaybook, MAX_FLAT_STEPS, MAX_STEP_ID_LENGTH, subPlaybookReferences, type PlaybookLookup } from '../../src/domain/playbook-flatten';
import type { PlaybookFacts } from '../../src/domain/playbook-logic';
import { runnableSteps, stepsNeverRunnable } from '../../src/domain/playbook-plan';
import { destructiveApproved, startRun, stepDone } from '../../src/domain/playbook-run';
import { DEFAULT_POLICY } from '../../src/domain/policy';

function playbook(name: string, steps: unknown[], version = 1): Playbook {
  const result = validatePlaybook({ name, version, title: name, steps });
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return result.playbook;
}

const task = (id: string, extra: object = {}) => ({ id, title: `Do ${id}`, kind: 'task', instructions: 'Do it.', owner: { role: 'responder' }, due: '4h', ...extra });
const sub = (id: string, name: string, extra: object = {}, version = 1) => ({ id, title: `Run ${name}`, kind: 'playbook', playbook: { name, version }, ...extra });

const library = (...playbooks: Playbook[]): PlaybookLookup => (name, version) => playbooks.find((p) => p.name === name && p.version === version);

/** Flattens and checks the result is a playbook the store and the interpreter accept. */
function flat(p: Playbook, lookup: PlaybookLookup): Playbook {
  const result = flattenPlaybook(p, lookup);
  if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  const valid = validatePlaybook(result.playbook);
  if (!valid.ok) throw new Error(`flattened playbook is invalid:\n${valid.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
  return valid.playbook;
}

const needsOf = (p: Playbook) => Object.fromEntries(p.steps.map((s) => [s.id, s.needs ?? []]));
const facts = (extra: Partial<PlaybookFacts> = {}): PlaybookFacts => ({ severity: 'high', category: 'phishing', assetKinds: ['account'], outcomes: {}, ...extra });

// reset → (revoke_sessions, notify_user): two sinks.
const accountLockdown = playbook('account_lockdown', [task('reset'), task('revoke_sessions', { needs: ['reset'] }), task('notify_user')]);

describe('flattening sub-playbooks', () => {
  it('leaves a playbook without sub-playbooks as it is', () => {
    const plain = playbook('plain', [task('a'), task('b', { needs: ['a'] })]);
    expect(flattenPlaybook(plain, library())).toEqual({ ok: true, playbook: plain });
  });

  it('puts the sub-playbook’s steps in its place under "<step>__<sub-step>", in order', () => {
    const phishing = playbook('phishing', [task('triage'), sub('lockdown', 'account_lockdown', { needs: ['triage'] }), task('report', { needs: ['lockdown'] })]);
    const result = flat(phishing, library(accountLockdown));
    expect(result.steps.map((s) => s.id)).toEqual(['triage', 'lockdown__reset', 'lockdown__revoke_sessions', 'lockdown__notify_user', 'report']);
    expect(result.steps[1]).toMatchObject({ kind: 'task', title: 'Do reset', owner: { role: 'responder' } });
    expect(result).toMatchObject({ name: 'phishing', version: 1, title: 'phishing' });
  });

  it('gives the sub-steps that need nothing the sub-playbook step’s needs, and keeps the others’ needs among themselves', () => {
    const phishing = playbook('phishing', [task('triage'), task('scope'), sub('lockdown', 'account_lockdown', { needs: ['triage', 'scope'] })]);
    expect(needsOf(flat(phishing, library(accountLockdown)))).toEqual({
      triage: [],
      scope: [],
      lockdown__reset: ['triage', 'scope'],
      lockdown__revoke_sessions: ['lockdown__reset'],
      lockdown__notify_user: ['triage', 'scope'],
    });
  });

  it('makes a step that needed the sub-playbook wait for every one of its sinks', () => {
    const phishing = playbook('phishing', [sub('lockdown', 'account_lockdown'), task('report', { needs: ['lockdown'] })]);
    const result = flat(phishing, library(accountLockdown));
    expect(needsOf(result)['report']).toEqual(['lockdown__revoke_sessions', 'lockdown__notify_user']);
    expect(runnableSteps(result, { lockdown__reset: 'done', lockdown__notify_user: 'done', lockdown__revoke_sessions: 'running' }, facts())).toEqual([]);
    expect(runnableSteps(result, { lockdown__reset: 'done', lockdown__notify_user: 'done', lockdown__revoke_sessions: 'done' }, facts())).toEqual(['report']);
  });

  it('chains two sub-playbooks: the second starts after every sink of the first', () => {
    const twice = playbook('twice', [sub('first', 'account_lockdown'), sub('second', 'account_lockdown', { needs: ['first'] })]);
    const needs = needsOf(flat(twice, library(accountLockdown)));
    expect(needs['second__reset']).toEqual(['first__revoke_sessions', 'first__notify_user']);
    expect(needs['second__notify_user']).toEqual(['first__revoke_sessions', 'first__notify_user']);
    expect(needs['second__revoke_sessions']).toEqual(['second__reset']);
  });

  it('ands the step’s condition into each sub-step’s, whose own reads of sub-step outcomes follow the new ids', () => {
    const verify = playbook('verify', [
      task('check', { outcomeFields: [{ name: 'compromised', type: 'boolean', required: true }] }),
      task('rebuild', { needs: ['check'], when: { '==': [{ var: 'outcomes.check.compromised' }, true] } }),
    ]);
    const onlySev1 = { '==': [{ var: 'severity' }, 'critical'] };
    const outer = playbook('outer', [sub('verify_host', 'verify', { when: onlySev1 })]);
    const result = flat(outer, library(verify));
    expect(result.steps[0]!.when).toEqual(onlySev1);
    expect(result.steps[1]!.when).toEqual({ and: [onlySev1, { '==': [{ var: 'outcomes.verify_host__check.compromised' }, true] }] });
    // A SEV2 skips the whole sub-playbook; a SEV1 runs it and follows the check's outcome.
    expect(stepsNeverRunnable(result, {}, facts({ severity: 'high' }))).toEqual(['verify_host__check']);
    expect(runnableSteps(result, {}, facts({ severity: 'critical' }))).toEqual(['verify_host__check']);
    const checked = { verify_host__check: 'done' as const };
    expect(runnableSteps(result, checked, facts({ severity: 'critical', outcomes: { verify_host__check: { compromised: true } } }))).toEqual(['verify_host__rebuild']);
    expect(stepsNeverRunnable(result, checked, facts({ severity: 'critical', outcomes: { verify_host__check: { compromised: false } } }))).toEqual(['verify_host__rebuild']);
  });

  it('keeps a condition of the step that reads its own needs’ outcomes valid once it moves to the sub-steps', () => {
    const outer = playbook('outer', [
      task('triage', { outcomeFields: [{ name: 'accountsAffected', type: 'boolean', required: true }] }),
      sub('lockdown', 'account_lockdown', { needs: ['triage'], when: { var: 'outcomes.triage.accountsAffected' } }),
    ]);
    const result = flat(outer, library(accountLockdown));
    expect(result.steps.find((s) => s.id === 'lockdown__revoke_sessions')!.when).toEqual({ var: 'outcomes.triage.accountsAffected' });
  });

  it('renames an approval gate named by a sub-playbook’s containment, so the gate still guards it', () => {
    const guarded = playbook('guarded_containment', [
      task('collect_evidence'),
      { id: 'approve_containment', title: 'Approve', kind: 'approval', approvers: ['manager'], due: '1h', needs: ['collect_evidence'] },
      { id: 'contain', title: 'Contain', kind: 'action', action: 'contain', needs: ['approve_containment'], params: { destructiveApprovedBy: 'approve_containment' } },
    ]);
    const outer = playbook('outer', [task('triage'), sub('respond', 'guarded_containment', { needs: ['triage'] })]);
    const result = flat(outer, library(guarded));
    const contain = result.steps.find((s) => s.id === 'respond__contain')!;
    expect(contain).toMatchObject({ needs: ['respond__approve_containment'], params: { destructiveApprovedBy: 'respond__approve_containment' } });
    const approved = stepDone(startRun({ name: 'outer', version: 1, digest: 'sha256:x', playbook: result, chosen: 'named' }), 'respond__approve_containment', { approved: true }, new Date());
    expect(destructiveApproved(contain, approved, DEFAULT_POLICY.high)).toBe(true);
    expect(result.steps.find((s) => s.id === 'respond__collect_evidence')!.needs).toEqual(['triage']);
  });

  it('keeps a built-in strategy’s request for the containment decision when it runs as a sub-playbook', () => {
    const evidenceFirst = validatePlaybook(JSON.parse(readFileSync(path.join(__dirname, '../../src/domain/playbooks/evidence-first.json'), 'utf8')));
    if (!evidenceFirst.ok) throw new Error('evidence_first is invalid');
    const result = flat(playbook('outer', [task('triage'), sub('respond', 'evidence_first', { needs: ['triage'] })]), library(evidenceFirst.playbook));
    expect(result.steps.find((s) => s.id === 'respond__contain')).toMatchObject({ needs: ['respond__collect_evidence'], params: { approval: 'decision' } });
  });

  it('renames the sub-step outcomes a wait reads', () => {
    const waiting = playbook('waiting', [task('ask'), { id: 'hold', title: 'Hold', kind: 'wait', needs: ['ask'], until: { var: 'outcomes.ask.answered' } }]);
    const result = flat(playbook('outer', [sub('w', 'waiting')]), library(waiting));
    expect(result.steps[1]).toMatchObject({ id: 'w__hold', kind: 'wait', until: { var: 'outcomes.w__ask.answered' } });
  });

  it('lets the step’s retry policy be the default of the sub-steps that name none', () => {
    const actions = playbook('actions', [{ id: 'page', title: 'Page', kind: 'action', action: 'notify' }, { id: 'hook', title: 'Hook', kind: 'action', action: 'notify', retry: 'untilDelivered' }]);
    const result = flat(playbook('outer', [sub('a', 'actions', { retry: 'adapterAction' })]), library(actions));
    expect(result.steps.map((s) => s.retry)).toEqual(['adapterAction', 'untilDelivered']);
  });

  it('flattens nested sub-playbooks all the way down', () => {
    const inner = playbook('inner', [task('one'), task('two', { needs: ['one'] })]);
    const middle = playbook('middle', [task('before'), sub('in', 'inner', { needs: ['before'] }), task('after', { needs: ['in'] })]);
    const outer = playbook('outer', [sub('mid', 'middle'), task('last', { needs: ['mid'] })]);
    const result = flat(outer, library(inner, middle));
    expect(needsOf(result)).toEqual({
      mid__before: [],
      mid__in__one: ['mid__before'],
      mid__in__two: ['mid__in__one'],
      mid__after: ['mid__in__two'],
      last: ['mid__after'],
    });
  });

  it('uses the version named, not the latest', () => {
    const v2 = playbook('account_lockdown', [task('reset_everything')], 2);
    const result = flat(playbook('outer', [sub('l', 'account_lockdown', {}, 2)]), library(accountLockdown, v2));
    expect(result.steps.map((s) => s.id)).toEqual(['l__reset_everything']);
  });

  it('lists the versions a playbook refers to, each once, for a caller to fetch first', () => {
    const outer = playbook('outer', [sub('a', 'account_lockdown'), sub('b', 'account_lockdown', { needs: ['a'] }), sub('c', 'verify', {}, 3), task('t')]);
    expect(subPlaybookReferences(outer)).toEqual([{ name: 'account_lockdown', version: 1 }, { name: 'verify', version: 3 }]);
  });
});

describe('sub-playbooks that cannot be flattened', () => {
  it('refuses a reference to a version that does not exist, naming the step', () => {
    const outer = playbook('outer', [task('a'), task('b'), sub('c', 'account_lockdown', {}, 7)]);
    expect(flattenPlaybook(outer, library(accountLockdown))).toEqual({ ok: false, issues: [{ path: 'steps[2].playbook', message: 'no playbook "account_lockdown" version 7' }] });
  });

  it('names the top step and the way down for a missing reference deeper in', () => {
    const middle = playbook('middle', [task('x'), sub('gone', 'nowhere')]);
    const outer = playbook('outer', [task('a'), sub('m', 'middle')]);
    expect(flattenPlaybook(outer, library(middle))).toEqual({
      ok: false,
      issues: [{ path: 'steps[1].playbook', message: 'in middle version 1, steps[1].playbook: no playbook "nowhere" version 1' }],
    });
  });

  it('refuses a playbook that uses itself', () => {
    const selfish = playbook('selfish', [task('a'), sub('again', 'selfish')]);
    expect(flattenPlaybook(selfish, library(selfish))).toEqual({ ok: false, issues: [{ path: 'steps[1].playbook', message: 'cycle: selfish version 1 uses selfish version 1' }] });
  });

  it('refuses a cycle through other playbooks, spelling it out', () => {
    const a = playbook('a', [sub('to_b', 'b')]);
    const b = playbook('b', [task('work'), sub('to_c', 'c', { needs: ['work'] })]);
    const c = playbook('c', [sub('to_a', 'a')]);
    expect(flattenPlaybook(a, library(a, b, c))).toEqual({
      ok: false,
      issues: [{ path: 'steps[0].playbook', message: 'in b version 1, in c version 1, steps[0].playbook: cycle: a version 1 uses b version 1 uses c version 1 uses a version 1' }],
    });
  });

  it('accepts one playbook used twice side by side, which is no cycle', () => {
    expect(flattenPlaybook(playbook('o', [sub('x', 'account_lockdown'), sub('y', 'account_lockdown')]), library(accountLockdown)).ok).toBe(true);
  });

  it('refuses a sub-step id that collides with another step', () => {
    const outer = playbook('outer', [task('lockdown__reset'), sub('lockdown', 'account_lockdown')]);
    expect(flattenPlaybook(outer, library(accountLockdown))).toEqual({
      ok: false,
      issues: [{ path: 'steps[1].id', message: 'step id "lockdown__reset" comes out twice once sub-playbooks are flattened (also from steps[0]): rename one' }],
    });
  });

  it('refuses a sub-step id longer than a step id may be', () => {
    const long = 'l'.repeat(MAX_STEP_ID_LENGTH - 'reset'.length - 2);
    const ok = flattenPlaybook(playbook('o', [sub(long, 'account_lockdown')]), library(playbook('account_lockdown', [task('reset')])));
    expect(ok.ok && validatePlaybook(ok.playbook).ok).toBe(true);
    const result = flattenPlaybook(playbook('o', [sub(`${long}x`, 'account_lockdown')]), library(accountLockdown));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues[0]).toEqual({
      path: 'steps[0].id',
      message: `its sub-step becomes "${long}x__reset", longer than ${MAX_STEP_ID_LENGTH} characters: shorten "${long}x" or the sub-playbook's step ids`,
    });
  });

  it('refuses more steps than a playbook may have, without expanding a doubling chain for ever', () => {
    // Each level uses the one below twice: 2^12 steps at the top if nothing stopped it.
    const levels = [playbook('level0', [task('t')])];
    for (let i = 1; i <= 12; i += 1) levels.push(playbook(`level${i}`, [sub('l', `level${i - 1}`), sub('r', `level${i - 1}`)]));
    const result = flattenPlaybook(levels[12]!, library(...levels));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.issues).toEqual([{ path: 'steps[0].playbook', message: `flattened, playbook level8 version 1 has 256 steps; at most ${MAX_FLAT_STEPS}` }]);
  });

  it('uses the limits the playbook format has', () => {
    expect(MAX_FLAT_STEPS).toBe(MAX_STEPS);
    const idOf = (length: number) => validatePlaybook({ name: 'p', version: 1, title: 'p', steps: [task('a'.repeat(length))] }).ok;
    expect(idOf(MAX_STEP_ID_LENGTH)).toBe(true);
    expect(idOf(MAX_STEP_ID_LENGTH + 1)).toBe(false);
  });
});
