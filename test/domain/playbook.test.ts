import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hours, minutes } from '../../src/domain/duration';
import { parsePlaybookText, validatePlaybook, type Playbook } from '../../src/domain/playbook';
import { playbookDigest } from '../../src/domain/playbook-digest';

/** A small valid playbook; tests change one thing in a copy. */
function sample(): any {
  return {
    name: 'phishing',
    version: 3,
    title: 'Phishing',
    match: { categories: ['phishing'] },
    steps: [
      { id: 'scope', title: 'Find every recipient', kind: 'task', instructions: 'Search the mail logs.', owner: { role: 'responder' }, due: '4h', remindEvery: '1h', outcomeFields: [{ name: 'clicked', type: 'boolean', required: true }] },
      { id: 'reset', title: 'Reset credentials', kind: 'action', action: 'contain', needs: ['scope'], when: { '==': [{ var: 'outcomes.scope.clicked' }, true] }, retry: 'adapterAction' },
      { id: 'approve', title: 'Approve purge', kind: 'approval', needs: ['scope'], approvers: ['manager'], distinctApprovers: 2, due: '30m' },
      { id: 'cool_off', title: 'Wait for late deliveries', kind: 'wait', needs: ['approve'], for: '2h' },
      { id: 'tell', title: 'Tell the mail team', kind: 'action', action: 'webhook', needs: ['reset', 'cool_off'], params: { url: 'https://hooks.example.com/mail' } },
    ],
  };
}

function issuesOf(input: unknown) {
  const result = validatePlaybook(input);
  if (result.ok) throw new Error('expected the playbook to be refused');
  return result.issues;
}

describe('a playbook', () => {
  it('is accepted with durations read as milliseconds and outcome fields optional by default', () => {
    const input = sample();
    input.steps[0].outcomeFields.push({ name: 'note', type: 'string' });
    const result = validatePlaybook(input);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const [scope, , approve, coolOff] = result.playbook.steps;
    expect(scope).toMatchObject({ kind: 'task', due: hours(4), remindEvery: hours(1), outcomeFields: [{ name: 'clicked', required: true }, { name: 'note', required: false }] });
    expect(approve).toMatchObject({ kind: 'approval', due: minutes(30), distinctApprovers: 2 });
    expect(coolOff).toMatchObject({ kind: 'wait', for: hours(2) });
  });

  it('validates again to the same content, so a stored playbook keeps its digest', () => {
    const first = validatePlaybook(sample());
    if (!first.ok) throw new Error(JSON.stringify(first.issues));
    const again = validatePlaybook(JSON.parse(JSON.stringify(first.playbook)));
    if (!again.ok) throw new Error(JSON.stringify(again.issues));
    expect(playbookDigest(again.playbook)).toBe(playbookDigest(first.playbook));
  });

  it.each([
    ['a name that is not a slug', (p: any) => (p.name = 'Phishing Response'), 'name'],
    ['version 0', (p: any) => (p.version = 0), 'version'],
    ['a fractional version', (p: any) => (p.version = 1.5), 'version'],
    ['no steps', (p: any) => (p.steps = []), 'steps'],
    ['an unknown top-level key', (p: any) => (p.stepz = []), '(root)'],
    ['a misspelt step key', (p: any) => ((p.steps[1].neds = ['scope']), delete p.steps[1].needs), 'steps[1]'],
    ['an unknown kind', (p: any) => (p.steps[2].kind = 'vote'), 'steps[2].kind'],
    ['an unknown action', (p: any) => (p.steps[1].action = 'reboot'), 'steps[1].action'],
    ['a webhook without a url', (p: any) => delete p.steps[4].params, 'steps[4].params.url'],
    ['a webhook url that is not http', (p: any) => (p.steps[4].params.url = 'file:///etc/passwd'), 'steps[4].params.url'],
    ['a webhook url in clear text to another host', (p: any) => (p.steps[4].params.url = 'http://hooks.example.com/mail'), 'steps[4].params.url'],
    ['a task owner role that does not act', (p: any) => (p.steps[0].owner = { role: 'auditor' }), 'steps[0].owner'],
    ['a task owner incident role that does not exist', (p: any) => (p.steps[0].owner = { incidentRole: 'boss' }), 'steps[0].owner'],
    ['a due time that is not a duration', (p: any) => (p.steps[0].due = 'soon'), 'steps[0].due'],
    ['reminders no sooner than the due time', (p: any) => (p.steps[0].remindEvery = '4h'), 'steps[0].remindEvery'],
    ['an outcome field of an unknown type', (p: any) => (p.steps[0].outcomeFields[0].type = 'date'), 'steps[0].outcomeFields[0].type'],
    ['an outcome field listed twice', (p: any) => p.steps[0].outcomeFields.push({ name: 'clicked', type: 'string' }), 'steps[0].outcomeFields[1].name'],
    ['an approval nobody may give', (p: any) => (p.steps[2].approvers = []), 'steps[2].approvers'],
    ['three distinct approvers', (p: any) => (p.steps[2].distinctApprovers = 3), 'steps[2].distinctApprovers'],
    ['a wait with both a timer and a condition', (p: any) => (p.steps[3].until = { var: 'incident.contained' }), 'steps[3]'],
    ['a wait with neither', (p: any) => delete p.steps[3].for, 'steps[3]'],
    ['an unknown retry policy', (p: any) => (p.steps[1].retry = 'forever'), 'steps[1].retry'],
    ['an approval param on an action that does not contain', (p: any) => (p.steps[4].params.approval = 'decision'), 'steps[4].params.approval'],
    ['an approval param of an unknown kind', (p: any) => (p.steps[1].params = { approval: 'gate' }), 'steps[1].params.approval'],
    ['a contain step asking both a gate and the decision', (p: any) => (p.steps[1].params = { approval: 'decision', destructiveApprovedBy: 'approve' }), 'steps[1].params.approval'],
    ['a condition with an unknown operator', (p: any) => (p.steps[1].when = { eval: 'process.exit()' }), 'steps[1].when'],
    ['a condition with the logging operator', (p: any) => (p.steps[1].when = { log: 'x' }), 'steps[1].when'],
    ['a condition with two operators at once', (p: any) => (p.steps[1].when = { '==': [1, 1], '!=': [1, 2] }), 'steps[1].when'],
    ['a condition reading an unknown fact', (p: any) => (p.steps[1].when = { '==': [{ var: 'severty' }, 'high'] }), 'steps[1].when.==[0].var'],
    ['a condition on the outcome of a step it does not need', (p: any) => (p.steps[2].when = { var: 'outcomes.reset.done' }), 'steps[2].when'],
    ['a condition on the outcome of a step that does not exist', (p: any) => (p.steps[1].when = { var: 'outcomes.triage.done' }), 'steps[1].when'],
    ['a match on an unknown severity', (p: any) => (p.match = { severities: ['urgent'] }), 'match.severities[0]'],
    ['an empty match list', (p: any) => (p.match = { assetKinds: [] }), 'match.assetKinds'],
    ['a step id taken from the follow-ups', (p: any) => (p.steps[0].id = 'follow-up-1'), 'steps[0].id'],
    ['a sub-playbook without a version', (p: any) => (p.steps[3] = { id: 'cool_off', title: 'Sub', kind: 'playbook', needs: ['approve'], playbook: { name: 'mail-purge' } }), 'steps[3].playbook.version'],
  ])('is refused for %s, naming the path', (_what, change, path) => {
    const input = sample();
    change(input);
    const issues = issuesOf(input);
    expect(issues.map((i) => i.path)).toContain(path);
  });

  describe('graph', () => {
    it('refuses a duplicate step id, naming the second', () => {
      const input = sample();
      input.steps[3].id = 'approve';
      const issues = issuesOf(input);
      expect(issues).toContainEqual({ path: 'steps[3].id', message: 'duplicate step id "approve" (first used by steps[2])' });
    });

    it('refuses a need on a missing step', () => {
      const input = sample();
      input.steps[4].needs = ['reset', 'cooloff'];
      expect(issuesOf(input)).toContainEqual({ path: 'steps[4].needs[1]', message: 'no step "cooloff"' });
    });

    it('refuses a step that needs itself', () => {
      const input = sample();
      input.steps[1].needs = ['scope', 'reset'];
      expect(issuesOf(input)).toContainEqual({ path: 'steps[1].needs[1]', message: 'step "reset" needs itself' });
    });

    it('refuses a cycle once, at its first step, spelling out the loop', () => {
      const input = sample();
      input.steps[0].needs = ['cool_off'];
      const cycles = issuesOf(input).filter((i) => i.message.startsWith('cycle'));
      expect(cycles).toEqual([{ path: 'steps[0].needs[0]', message: 'cycle: "scope" needs "cool_off" needs "approve" needs "scope"' }]);
    });

    it('refuses each of two loops through the same step', () => {
      const input = sample();
      input.steps[0].needs = ['tell'];
      const cycles = issuesOf(input).filter((i) => i.message.startsWith('cycle'));
      expect(cycles.map((c) => c.message).sort()).toEqual(['cycle: "scope" needs "tell" needs "cool_off" needs "approve" needs "scope"', 'cycle: "scope" needs "tell" needs "reset" needs "scope"']);
      expect(cycles.map((c) => c.path)).toEqual(['steps[0].needs[0]', 'steps[0].needs[0]']);
    });

    it('finds a cycle even when another step is malformed', () => {
      const input = sample();
      input.steps[2].due = 'later';
      input.steps[3].needs = ['tell'];
      const paths = issuesOf(input).map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['steps[2].due', 'steps[3].needs[0]']));
    });

    it('checks a 200-step chain without running out of stack', () => {
      const steps = Array.from({ length: 200 }, (_, i) => ({ id: `s${i}`, title: `Step ${i}`, kind: 'wait', for: '1m', ...(i > 0 ? { needs: [`s${i - 1}`] } : {}) }));
      expect(validatePlaybook({ name: 'long', version: 1, title: 'Long', steps }).ok).toBe(true);
      (steps[0] as any).needs = ['s199'];
      expect(issuesOf({ name: 'long', version: 1, title: 'Long', steps })).toContainEqual(expect.objectContaining({ path: 'steps[0].needs[0]' }));
      expect(issuesOf({ name: 'long', version: 1, title: 'Long', steps: [...steps, { id: 'x', title: 'X', kind: 'wait', for: '1m' }] })).toContainEqual(expect.objectContaining({ path: 'steps' }));
    });
  });
});

describe('playbook text', () => {
  it('reads YAML and JSON to the same playbook and the same digest', () => {
    const yaml = [
      'name: lost-device',
      'version: 2',
      'title: Lost device',
      'steps:',
      '  - id: wipe',
      '    title: Wipe the device remotely',
      '    kind: action',
      '    action: contain',
      '  - id: confirm',
      '    title: Confirm the wipe',
      '    kind: task',
      '    needs: [wipe]',
      '    instructions: Check the MDM console shows **wiped**.',
      '    owner: { incidentRole: responder }',
      '    due: 1d',
    ].join('\n');
    const json = JSON.stringify({
      title: 'Lost device',
      version: 2,
      name: 'lost-device',
      steps: [
        { kind: 'action', id: 'wipe', title: 'Wipe the device remotely', action: 'contain' },
        { id: 'confirm', title: 'Confirm the wipe', kind: 'task', needs: ['wipe'], instructions: 'Check the MDM console shows **wiped**.', owner: { incidentRole: 'responder' }, due: 86_400_000 },
      ],
    });
    const fromYaml = parsePlaybookText(yaml, 'yaml');
    const fromJson = parsePlaybookText(json, 'json');
    if (!fromYaml.ok || !fromJson.ok) throw new Error('both should parse');
    expect(fromYaml.playbook).toEqual(fromJson.playbook);
    expect(playbookDigest(fromYaml.playbook)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(playbookDigest(fromYaml.playbook)).toBe(playbookDigest(fromJson.playbook));
  });

  it('gives a different digest to different content', () => {
    const a = validatePlaybook(sample());
    const changed = sample();
    changed.steps[0].due = '5h';
    const b = validatePlaybook(changed);
    if (!a.ok || !b.ok) throw new Error('both should validate');
    expect(playbookDigest(a.playbook)).not.toBe(playbookDigest(b.playbook));
  });

  it('names the line and column of a YAML syntax error', () => {
    const result = parsePlaybookText('name: x\nsteps:\n  - id: a\n   title: [unclosed\n', 'yaml');
    expect(result).toEqual({ ok: false, issues: [{ path: '(file)', message: expect.stringMatching(/^line \d+, column \d+: /) }] });
  });

  it('refuses a YAML key given twice', () => {
    const result = parsePlaybookText('name: a\nname: b\n', 'yaml');
    expect(result).toEqual({ ok: false, issues: [{ path: '(file)', message: expect.stringMatching(/^line 2, column 1: .*unique/i) }] });
  });

  it('names the line and column of a JSON syntax error', () => {
    const result = parsePlaybookText('{\n  "name": "x",\n  "version": 1,,\n}', 'json');
    expect(result).toEqual({ ok: false, issues: [{ path: '(file)', message: expect.stringMatching(/^line 3, column 1[56]: /) }] });
  });

  it('refuses text that is valid YAML but not a playbook, naming the fields', () => {
    const result = parsePlaybookText('just a sentence', 'yaml');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.path)).toEqual(['(root)']);
  });

  it('refuses a YAML alias bomb', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    const result = parsePlaybookText(bomb, 'yaml');
    expect(result).toEqual({ ok: false, issues: [{ path: '(file)', message: expect.stringMatching(/alias/i) }] });
  });
});

describe('the shipped playbooks', () => {
  const root = path.join(__dirname, '../..');
  const files = [
    ...readdirSync(path.join(root, 'src/domain/playbooks')).map((f) => path.join('src/domain/playbooks', f)),
    ...readdirSync(path.join(root, 'playbooks/examples')).map((f) => path.join('playbooks/examples', f)),
  ];

  it.each(files)('%s is valid', (file) => {
    const result = parsePlaybookText(readFileSync(path.join(root, file), 'utf8'), file.endsWith('.json') ? 'json' : 'yaml');
    if (!result.ok) throw new Error(result.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    const playbook: Playbook = result.playbook;
    expect(path.basename(file).replace(/\.(json|ya?ml)$/, '').replace(/-/g, '_')).toBe(playbook.name.replace(/-/g, '_'));
  });

  it('include the two built-in strategies and the five examples', () => {
    expect(files.map((f) => path.basename(f)).sort()).toEqual(
      ['contain-first.json', 'ddos.yaml', 'evidence-first.json', 'leaked-cloud-key.yaml', 'lost-device.yaml', 'phishing-credential-compromise.yaml', 'ransomware.yaml'].sort(),
    );
  });
});
