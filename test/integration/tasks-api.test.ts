import { randomBytes } from 'node:crypto';
import { waitFor } from '../../src/net';
import { IncidentRepository } from '../../src/db/incident-repository';
import type { IncidentState } from '../../src/domain/incident';
import type { Role } from '../../src/domain/principal';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

const NOBODY = '0000000000000000';


/** A playbook whose first task stays open until someone completes it, so the response waits there. */
const triagePlaybook = (name: string, version: number, extra: Record<string, unknown> = {}) => ({
  name,
  version,
  title: `Triage ${name}`,
  ...extra,
  steps: [
    { id: 'scope', title: 'Scope the mailboxes', kind: 'task', instructions: 'List **every** recipient.', owner: { role: 'responder' }, due: '4h', outcomeFields: [{ name: 'recipients', type: 'number', required: true }] },
    { id: 'tell-users', title: 'Warn the recipients', kind: 'action', action: 'notify', needs: ['scope'] },
  ],
});

describe('the task API over HTTP', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, role: Role, body: unknown, headers: Record<string, string> = {}) => stack.request('POST', path, { key: stack.keys[role], body, headers });
  const get = (path: string, role: Role = 'auditor') => stack.request('GET', path, { key: stack.keys[role] });

  async function openInTriage(assets: Array<{ kind: string; id: string }> = []): Promise<string> {
    const res = await post('/v1/alerts', 'integration', { source: 'mail-gateway', sourceRef: uniqueKey('evt'), title: 'Lure reported by users', severity: 'medium', dedupKey: uniqueKey('tasks'), assets });
    expect(res.status).toBe(202);
    const id: string = res.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, 'responder', {})).status).toBe(200);
    return id;
  }

  const assessment = (category: string, extra: Record<string, unknown> = {}) => ({ severity: 'medium', category, strategy: 'contain_first', externalAssistance: false, ...extra });

  async function upload(playbook: object) {
    const res = await post('/v1/admin/playbooks', 'admin', { format: 'json', source: JSON.stringify(playbook) });
    expect(res.status).toBe(200);
    return res.body as { name: string; version: number; digest: string };
  }

  async function untilTask(id: string, taskId: string) {
    return waitFor(`task ${taskId}`, async () => {
      const tasks = (await get(`/v1/incidents/${id}/tasks`)).body.items as Array<{ taskId: string; status: string }>;
      const task = tasks.find((t) => t.taskId === taskId);
      if (!task) throw new Error(`no ${taskId} yet among ${tasks.map((t) => t.taskId).join(', ') || 'none'}`);
      return task;
    }, 20_000, 100);
  }


  it('answers 404 for the tasks of an incident that does not exist, and for a decision about one', async () => {
    const listed = await get(`/v1/incidents/${NOBODY}/tasks`);
    expect(listed.status).toBe(404);
    expect(listed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await post(`/v1/incidents/${NOBODY}/tasks/adhoc-1/complete`, 'manager', {})).status).toBe(404);
    expect((await post(`/v1/incidents/${NOBODY}/tasks`, 'manager', { title: 'Call the ISP', owner: { role: 'responder' }, due: '4h' })).status).toBe(404);
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    const id = await openInTriage();
    const field = async (path: string, body: unknown) => {
      const res = await post(`/v1/incidents/${id}${path}`, 'manager', body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      return (res.body.errors as Array<{ field: string }>).map((e) => e.field);
    };
    expect(await field('/tasks', { title: 'Call the ISP', owner: { role: 'responder' }, due: 'soon' })).toContain('due');
    expect(await field('/tasks', { title: 'Call the ISP', owner: { role: 'auditor' }, due: '4h' })).toContain('owner');
    expect(await field('/tasks', { title: 'Call the ISP', owner: { role: 'responder' }, due: '1h', remindEvery: '2h' })).toContain('remindEvery');
    expect(await field('/tasks', { owner: { role: 'responder' }, due: '1h' })).toContain('title');
    expect(await field('/tasks/adhoc-1/skip', { reason: '   ' })).toContain('reason');
    expect(await field('/tasks/adhoc-1/skip', {})).toContain('reason');
    expect(await field('/tasks/adhoc-1/reassign', { reason: 'away' })).toContain('assignee');
    expect(await field('/tasks/adhoc-1/comments', { text: '' })).toContain('text');
    expect(await field('/tasks/adhoc-1/complete', { approved: 'yes' })).toContain('approved');
    expect(await field('/playbook', { name: 'Not A Name' })).toContain('name');
    expect(await field('/assessment', assessment('phishing', { playbook: { name: 'x', version: 0 } }))).toContain('playbook.version');
    const query = await get('/v1/tasks?overdue=maybe');
    expect(query.status).toBe(400);
    expect(query.body.errors.map((e: { field: string }) => e.field)).toContain('overdue');
  });

  it('adds a task by hand, holds it to its assignee, completes it with an outcome, and lists it on the assignee’s to-do list', async () => {
    const id = await openInTriage();
    const added = await post(`/v1/incidents/${id}/tasks`, 'manager', {
      title: 'Ask the ISP for the sender’s logs',
      instructions: 'Ticket with **abuse@**',
      owner: { role: 'responder' },
      assignee: 'alice',
      due: '4h',
      remindEvery: '1h',
      outcomeFields: [{ name: 'ticket', type: 'string', required: true }],
    });
    expect(added.status).toBe(200);
    const task = added.body.tasks.find((t: { taskId: string }) => t.taskId === 'adhoc-1');
    expect(task).toMatchObject({ kind: 'task', status: 'open', assignee: 'alice', owner: { role: 'responder' }, remindEvery: 3_600_000, added: { by: { name: 'test-manager' } } });
    expect(Date.parse(task.dueAt) - Date.parse(task.createdAt)).toBe(4 * 3_600_000);

    // Alice's task: another responder may not complete it.
    const wrongPerson = await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'responder', { outcome: { ticket: 'ISP-1' } });
    expect(wrongPerson.status).toBe(409);
    expect(wrongPerson.body.detail).toMatch(/belongs to alice, not to test-responder/);

    const reassigned = await post(`/v1/incidents/${id}/tasks/adhoc-1/reassign`, 'manager', { assignee: 'test-responder', reason: 'alice is away' });
    expect(reassigned.status).toBe(200);
    expect(reassigned.body.tasks[0]).toMatchObject({ assignee: 'test-responder', reassignments: [{ from: 'alice', to: 'test-responder', reason: 'alice is away' }] });
    expect((await post(`/v1/incidents/${id}/tasks/adhoc-1/comments`, 'responder', { text: 'ticket opened, waiting' })).body.tasks[0].comments).toEqual([
      expect.objectContaining({ text: 'ticket opened, waiting', by: expect.objectContaining({ name: 'test-responder' }) }),
    ]);

    // The outcome's required field is checked by the workflow: 409, and nothing changes.
    expect((await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'responder', { outcome: {} })).body.detail).toMatch(/outcome.ticket is required/);

    const onTheList = await waitFor('the open task on the to-do list', async () => {
      const page = await get('/v1/tasks?assignee=test-responder&status=open', 'responder');
      const item = page.body.items.find((t: { incidentId: string }) => t.incidentId === id);
      if (!item) throw new Error('not listed yet');
      return item;
    }, 10_000, 100);
    expect(onTheList).toMatchObject({ taskId: 'adhoc-1', status: 'open', overdue: false, owner: { role: 'responder' }, incident: { title: 'Lure reported by users', severity: 'medium', phase: 'triage' } });

    const key = { 'Idempotency-Key': uniqueKey('complete') };
    const completed = await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'responder', { outcome: { ticket: 'ISP-4711' } }, key);
    expect(completed.status).toBe(200);
    expect(completed.body.tasks[0]).toMatchObject({ status: 'done', outcome: { ticket: 'ISP-4711' }, completed: { by: { name: 'test-responder' } } });
    // The same request again is the first answer; a different completion is refused, the task is done.
    const again = await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'responder', { outcome: { ticket: 'ISP-4711' } }, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const twice = await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'manager', { outcome: { ticket: 'ISP-9' } });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toMatch(/already completed by test-responder/);
    expect((await post(`/v1/incidents/${id}/tasks/adhoc-1/skip`, 'manager', { reason: 'not needed' })).status).toBe(409);

    const listed = await get(`/v1/incidents/${id}/tasks`, 'responder');
    expect(listed.headers.get('firebreak-state-source')).toBe('workflow');
    expect(listed.body).toMatchObject({ incidentId: id, items: [{ taskId: 'adhoc-1', status: 'done', outcome: { ticket: 'ISP-4711' } }] });

    const done = await waitFor('the done task in the read model', async () => {
      const page = await get('/v1/tasks?assignee=test-responder&status=done', 'manager');
      const item = page.body.items.find((t: { incidentId: string }) => t.incidentId === id);
      if (!item) throw new Error('not done there yet');
      return item;
    }, 10_000, 100);
    expect(done).toMatchObject({ completedBy: 'test-responder', completedAt: completed.body.tasks[0].completed.at });
    const open = await get('/v1/tasks?assignee=test-responder&status=open', 'manager');
    expect(open.body.items.map((t: { incidentId: string }) => t.incidentId)).not.toContain(id);
  });

  it('skips an open task only with a reason, and keeps who skipped it and why', async () => {
    const id = await openInTriage();
    await post(`/v1/incidents/${id}/tasks`, 'manager', { title: 'Interview the user', owner: { incidentRole: 'commander' }, due: 3_600_000 });
    const skipped = await post(`/v1/incidents/${id}/tasks/adhoc-1/skip`, 'manager', { reason: 'the user left the company' });
    expect(skipped.status).toBe(200);
    expect(skipped.body.tasks[0]).toMatchObject({ status: 'skipped', skipped: { by: { name: 'test-manager' }, reason: 'the user left the company' } });
    expect((await post(`/v1/incidents/${id}/tasks/adhoc-1/complete`, 'manager', {})).body.detail).toMatch(/was skipped by test-manager/);
    expect((await post(`/v1/incidents/${id}/tasks/adhoc-9/skip`, 'manager', { reason: 'typo' })).body.detail).toMatch(/no task "adhoc-9"/);
  });

  it('filters the to-do list by overdue from the read model, and pages it with a cursor', async () => {
    // Seeded straight into the read model: an incident whose tasks fell due an hour ago and fall due tomorrow.
    const live = (await get(`/v1/incidents/${await openInTriage()}`)).body as IncidentState;
    const incidentId = randomBytes(8).toString('hex');
    const now = Date.now();
    const at = (offset: number) => new Date(now + offset).toISOString();
    const person = uniqueKey('oncall');
    const task = (taskId: string, due: number) => ({ taskId, kind: 'task' as const, title: `Task ${taskId}`, owner: { role: 'responder' as const }, assignee: person, status: 'open' as const, createdAt: at(-7_200_000), dueAt: at(due), remindersSent: 0, overduePages: 0 });
    const seeded: IncidentState = { ...live, incidentId, dedupKey: uniqueKey('seeded'), version: 5, tasks: [task('late', -3_600_000), task('later', -1_800_000), task('tomorrow', 86_400_000)] };
    const repo = new IncidentRepository(stack.db.pool);
    await repo.upsert(seeded);
    // An older snapshot arriving late changes nothing.
    await repo.upsert({ ...seeded, version: 4, tasks: seeded.tasks!.map((t) => ({ ...t, status: 'done' as const })) });

    const ids = async (query: string) => {
      const res = await get(`/v1/tasks?assignee=${person}${query}`, 'responder');
      expect(res.status).toBe(200);
      return res.body.items.map((t: { taskId: string }) => t.taskId);
    };
    expect(await ids('&overdue=true')).toEqual(['late', 'later']);
    expect(await ids('&overdue=false')).toEqual(['tomorrow']);
    expect(await ids('')).toEqual(['late', 'later', 'tomorrow']);

    const first = await get(`/v1/tasks?assignee=${person}&limit=2`, 'responder');
    expect(first.body.items.map((t: { taskId: string; overdue: boolean }) => [t.taskId, t.overdue])).toEqual([['late', true], ['later', true]]);
    const second = await get(`/v1/tasks?assignee=${person}&limit=2&cursor=${first.body.nextCursor}`, 'responder');
    expect(second.body).toMatchObject({ items: [{ taskId: 'tomorrow', overdue: false }], nextCursor: null });
    expect((await get('/v1/tasks?cursor=bm90LWEtY3Vyc29y', 'responder')).body.errors).toEqual([expect.objectContaining({ field: 'cursor' })]);

    // Completed in a newer snapshot: off the overdue list.
    await repo.upsert({ ...seeded, version: 6, tasks: seeded.tasks!.map((t) => (t.taskId === 'late' ? { ...t, status: 'done' as const, completed: { by: { keyId: 'k', name: person, role: 'responder' as const }, at: at(0) } } : t)) });
    expect(await ids('&overdue=true')).toEqual(['later']);
  });

  it('pins the playbook a manager names at assessment, with its version and digest, and runs its tasks', async () => {
    const v1 = await upload(triagePlaybook('phish-triage', 1));
    const id = await openInTriage();
    const assessed = await post(`/v1/incidents/${id}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'phish-triage' } }));
    expect(assessed.status).toBe(200);
    expect(assessed.body.playbookRun.pinned).toMatchObject({ name: 'phish-triage', version: 1, digest: v1.digest, chosen: 'named', playbook: { steps: [{ id: 'scope', due: 4 * 3_600_000 }, { id: 'tell-users' }] } });

    expect(await untilTask(id, 'scope')).toMatchObject({ status: 'open', owner: { role: 'responder' } });
    const done = await post(`/v1/incidents/${id}/tasks/scope/complete`, 'responder', { outcome: { recipients: 12 } });
    expect(done.status).toBe(200);
    expect(done.body.tasks.find((t: { taskId: string }) => t.taskId === 'scope')).toMatchObject({ status: 'done', outcome: { recipients: 12 } });

    // The auditor's timeline shows the steps from history: who, when, the outcome and the attempts.
    const steps = await waitFor('the steps on the timeline', async () => {
      const items = (await get(`/v1/incidents/${id}/timeline`, 'auditor')).body.items as Array<{ kind: string; action: string; details: Record<string, unknown>; actor?: string }>;
      const found = items.filter((i) => i.kind === 'step');
      if (!found.some((i) => i.action === 'step_done' && i.details['stepId'] === 'scope')) throw new Error(JSON.stringify(found));
      return { found, decisions: items.filter((i) => i.kind === 'decision') };
    }, 20_000, 250);
    expect(steps.found.filter((i) => (i.details['stepId'] ?? i.details['taskId']) === 'scope').map((i) => i.action)).toEqual(['step_started', 'task_opened', 'step_done']);
    expect(steps.found.find((i) => i.action === 'step_done')?.details).toMatchObject({ stepId: 'scope', attempts: 1, outcome: { recipients: 12 } });
    expect(steps.decisions.find((i) => i.action === 'completeTask')).toMatchObject({ actor: 'test-responder', details: { taskId: 'scope', outcome: { recipients: 12 } } });

    // A version that does not exist, or a name nobody stored, is 404 naming the field.
    const other = await openInTriage();
    const missing = await post(`/v1/incidents/${other}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'phish-triage', version: 7 } }));
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ detail: 'no playbook phish-triage version 7', errors: [{ field: 'playbook.version' }] });
    const unknown = await post(`/v1/incidents/${other}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'no-such-playbook' } }));
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'playbook.name' })]);
    const unknownVersioned = await post(`/v1/incidents/${other}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'no-such-playbook', version: 1 } }));
    expect(unknownVersioned.body.errors).toEqual([expect.objectContaining({ field: 'playbook.name' })]);
    expect((await post(`/v1/incidents/${other}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'contain_first', version: 2 } }))).body.errors).toEqual([
      expect.objectContaining({ field: 'playbook.version' }),
    ]);
    expect((await get(`/v1/incidents/${other}`)).body.phase).toBe('triage');
  });

  it('pins a playbook with its sub-playbooks flattened into plain steps, and refuses one whose sub-playbook is missing', async () => {
    await upload({ name: 'warn-users', version: 1, title: 'Warn users', steps: [{ id: 'tell', title: 'Tell the recipients', kind: 'action', action: 'notify' }] });
    const scope = triagePlaybook('x', 1).steps[0];
    const outer = await upload({ name: 'phish-with-sub', version: 1, title: 'Phishing', steps: [scope, { id: 'warn', title: 'Warn', kind: 'playbook', playbook: { name: 'warn-users', version: 1 }, needs: ['scope'] }] });
    const id = await openInTriage();
    const assessed = await post(`/v1/incidents/${id}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'phish-with-sub' } }));
    expect(assessed.status).toBe(200);
    const pinned = assessed.body.playbookRun.pinned;
    expect(pinned).toMatchObject({ name: 'phish-with-sub', version: 1, digest: outer.digest });
    expect(pinned.playbook.steps.map((s: { id: string; kind: string; needs?: string[] }) => [s.id, s.kind, s.needs])).toEqual([
      ['scope', 'task', undefined],
      ['warn__tell', 'action', ['scope']],
    ]);

    await upload({ name: 'phish-broken-sub', version: 1, title: 'Phishing', steps: [scope, { id: 'warn', title: 'Warn', kind: 'playbook', playbook: { name: 'warn-users', version: 9 }, needs: ['scope'] }] });
    const other = await openInTriage();
    const refused = await post(`/v1/incidents/${other}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'phish-broken-sub' } }));
    expect(refused.status).toBe(409);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: expect.stringMatching(/^steps\[1\]/), message: expect.stringMatching(/warn-users/) })]);
    expect((await get(`/v1/incidents/${other}`)).body.phase).toBe('triage');
  });

  it('pins a built-in strategy by its name', async () => {
    const id = await openInTriage([{ kind: 'host', id: uniqueKey('ws') }]);
    const assessed = await post(`/v1/incidents/${id}/assessment`, 'manager', assessment('malware', { strategy: 'evidence_first', playbook: { name: 'evidence_first' } }));
    expect(assessed.status).toBe(200);
    expect(assessed.body.playbookRun.pinned).toMatchObject({ name: 'evidence_first', version: 1, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/), chosen: 'named' });
  });

  it('pins the best matching stored playbook when none is named, and the strategy’s built-in when nothing matches', async () => {
    const category = uniqueKey('cloud-key').toLowerCase();
    await upload(triagePlaybook('key-any', 1, { match: { categories: [category] } }));
    const specific = await upload(triagePlaybook('key-accounts', 2, { match: { categories: [category], assetKinds: ['account'] } }));

    const id = await openInTriage([{ kind: 'account', id: uniqueKey('svc') }]);
    const assessed = await post(`/v1/incidents/${id}/assessment`, 'manager', assessment(category));
    expect(assessed.status).toBe(200);
    expect(assessed.body.playbookRun.pinned).toMatchObject({ name: 'key-accounts', version: 2, digest: specific.digest, chosen: 'matched' });

    const unmatched = await openInTriage();
    const plain = await post(`/v1/incidents/${unmatched}/assessment`, 'manager', assessment('a-category-no-playbook-matches'));
    expect(plain.status).toBe(200);
    expect(plain.body.assessment.strategy).toBe('contain_first');
    expect(plain.body.playbookRun.pinned).toMatchObject({ name: 'contain_first', version: 1, chosen: 'strategy' });
    expect(plain.body.playbookRun.pinned.playbook.steps.map((s: { id: string }) => s.id)).toEqual(['contain', 'collect_evidence', 'verify_patches', 'recover']);
  });

  it('applies another playbook to a running response, keeping what is done; 404 for an unknown one, 409 for the one running', async () => {
    await upload(triagePlaybook('reimage', 1));
    const id = await openInTriage();
    expect((await post(`/v1/incidents/${id}/assessment`, 'manager', assessment('phishing', { playbook: { name: 'reimage' } }))).status).toBe(200);
    await untilTask(id, 'scope');
    expect((await post(`/v1/incidents/${id}/tasks/scope/complete`, 'manager', { outcome: { recipients: 3 } })).status).toBe(200);

    const v2 = await upload({ ...triagePlaybook('reimage', 2), steps: [...triagePlaybook('reimage', 2).steps, { id: 'reimage-hosts', title: 'Reimage the hosts', kind: 'task', instructions: 'From the gold image.', owner: { role: 'responder' }, due: '1d', needs: ['scope'] }] });
    const applied = await post(`/v1/incidents/${id}/playbook`, 'manager', { name: 'reimage' });
    expect(applied.status).toBe(200);
    expect(applied.body.playbookRun).toMatchObject({ pinned: { name: 'reimage', version: 2, digest: v2.digest, chosen: 'applied' }, replaced: [{ name: 'reimage', version: 1, by: 'test-manager' }], steps: { scope: { status: 'done' } } });
    expect(await untilTask(id, 'reimage-hosts')).toMatchObject({ status: 'open' });

    const again = await post(`/v1/incidents/${id}/playbook`, 'manager', { name: 'reimage', version: 2 });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already running/);
    const unknown = await post(`/v1/incidents/${id}/playbook`, 'manager', { name: 'nothing-like-it' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
  });
});
