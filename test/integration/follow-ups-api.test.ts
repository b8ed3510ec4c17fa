import { FollowUpStateSchema, IncidentFollowUpsSchema, SummaryReportSchema, TaskListSchema } from '../../src/api/schemas';
import { days } from '../../src/domain/duration';
import type { Role } from '../../src/domain/principal';
import { waitFor } from '../../src/net';
import { followUpWorkflowIdFor } from '../../src/temporal/contract';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

const NOBODY = '0000000000000000';

type Task = { taskId: string; title: string; status: string; assignee?: string; completed?: { by: { name: string } }; skipped?: { by: { name: string }; reason: string } };

/** A closed incident's review action items, tracked to done over HTTP after the close. */
describe('follow-ups over HTTP', () => {
  let stack: TestStack;
  /** A second responder's key: a person the follow-ups are not assigned to. */
  let bob: { name: string; token: string };
  beforeAll(async () => {
    stack = await startTestStack();
    const name = uniqueKey('bob');
    const issued = await stack.request('POST', '/v1/admin/keys', { key: stack.keys.admin, body: { name, role: 'responder' } });
    expect(issued.status).toBe(201);
    bob = { name, token: issued.body.token };
  });
  afterAll(async () => {
    await stack?.close();
  });

  const post = (path: string, key: string, body: unknown, headers: Record<string, string> = {}) => stack.request('POST', path, { key, body, headers });
  const as = (role: Role) => stack.keys[role];
  const get = (path: string, role: Role = 'auditor') => stack.request('GET', path, { key: as(role) });

  /** An incident walked through the API to its review: acknowledged, a commander named, assessed, responded to. */
  async function inReview(): Promise<string> {
    const opened = await post('/v1/alerts', as('integration'), { source: 'edr', sourceRef: uniqueKey('evt'), title: 'Web shell on the intranet', severity: 'critical', dedupKey: uniqueKey('follow-ups') });
    expect(opened.status).toBe(202);
    const id: string = opened.body.incidentId;
    expect((await post(`/v1/incidents/${id}/acknowledge`, as('responder'), {})).status).toBe(200);
    expect((await stack.request('PUT', `/v1/incidents/${id}/roles/commander`, { key: as('manager'), body: { person: 'dana' } })).status).toBe(200);
    expect((await post(`/v1/incidents/${id}/assessment`, as('manager'), { severity: 'critical', category: 'intrusion', strategy: 'contain_first', externalAssistance: false })).status).toBe(200);
    await waitFor('the review phase', async () => {
      const phase = (await get(`/v1/incidents/${id}`)).body.phase;
      if (phase !== 'review') throw new Error(`still ${phase}`);
    }, 30_000, 100);
    return id;
  }

  async function closeWith(id: string, actionItems: Array<{ title: string; owner: string; dueAt: string }>) {
    expect((await post(`/v1/incidents/${id}/review`, as('manager'), { lessons: 'the web tier had no file integrity monitoring', actionItems })).status).toBe(200);
    const closed = await post(`/v1/incidents/${id}/close`, as('manager'), { resolution: 'resolved', summary: 'host rebuilt' });
    expect(closed.status).toBe(200);
    expect(closed.body.phase).toBe('closed');
  }

  /** The follow-ups as the read model has them, once it has `count` (the workflow starts as the incident closes). */
  async function followUps(id: string, count: number): Promise<Task[]> {
    return waitFor(`${count} follow-ups`, async () => {
      const res = await get(`/v1/incidents/${id}/follow-ups`, 'responder');
      expect(res.status).toBe(200);
      const body = IncidentFollowUpsSchema.parse(res.body);
      if (body.items.length !== count) throw new Error(`${body.items.length} so far`);
      return body.items as unknown as Task[];
    }, 20_000, 100);
  }

  const followUp = (state: { tasks: Task[] }, taskId: string) => state.tasks.find((t) => t.taskId === taskId)!;

  it('answers 404 for the follow-ups of an incident that does not exist, and for a decision about one', async () => {
    const listed = await get(`/v1/incidents/${NOBODY}/follow-ups`);
    expect(listed.status).toBe(404);
    expect(listed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const decided = await post(`/v1/incidents/${NOBODY}/follow-ups/follow-up-1/complete`, as('manager'), {});
    expect(decided.status).toBe(404);
    expect(decided.body.detail).toBe(`no incident ${NOBODY}`);
  });

  it('tracks two action items after the close: to-do list, who may complete, audited completion, skip, then nothing more; the summary counts them', async () => {
    const id = await inReview();
    // Before the close there are none, and a decision about one is refused naming why.
    expect((await get(`/v1/incidents/${id}/follow-ups`)).body).toEqual({ incidentId: id, items: [] });
    expect((await post(`/v1/incidents/${id}/follow-ups/follow-up-1/complete`, as('manager'), {})).body.detail).toMatch(/has no follow-ups/);

    const erin = uniqueKey('erin');
    const now = Date.now();
    const soon = new Date(now + days(14)).toISOString();
    const later = new Date(now + days(30)).toISOString();
    await closeWith(id, [
      { title: 'Deploy file integrity monitoring on the web tier', owner: 'test-responder', dueAt: soon },
      { title: 'Rotate the deploy keys', owner: erin, dueAt: later },
    ]);

    // Both open, assigned to the items' owners, owned by the commander at close.
    const opened = await followUps(id, 2);
    expect(opened.map((t) => [t.taskId, t.title, t.status, t.assignee])).toEqual([
      ['follow-up-1', 'Deploy file integrity monitoring on the web tier', 'open', 'test-responder'],
      ['follow-up-2', 'Rotate the deploy keys', 'open', erin],
    ]);
    expect(opened[0]).toMatchObject({ owner: { incidentRole: 'commander' }, dueAt: soon });

    // The assignee's to-do list shows it as a follow-up, so the client knows which route completes it.
    const todo = await get('/v1/tasks?assignee=test-responder&status=open', 'responder');
    expect(todo.status).toBe(200);
    const listed = TaskListSchema.parse(todo.body).items.find((t) => t.incidentId === id);
    expect(listed).toMatchObject({ taskId: 'follow-up-1', followUp: true, overdue: false, incident: { phase: 'closed', severity: 'critical' } });

    // A responder it is not assigned to may not complete it: 409 with the reason, kept in the audit log.
    const wrongPerson = await post(`/v1/incidents/${id}/follow-ups/follow-up-1/complete`, bob.token, { outcome: {} });
    expect(wrongPerson.status).toBe(409);
    expect(wrongPerson.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(wrongPerson.body.detail).toBe(`task "follow-up-1" belongs to test-responder, not to ${bob.name}`);

    // The assignee completes it; the same request again is the first answer.
    const key = { 'Idempotency-Key': uniqueKey('complete') };
    const completed = await post(`/v1/incidents/${id}/follow-ups/follow-up-1/complete`, as('responder'), {}, key);
    expect(completed.status).toBe(200);
    const afterCompletion = FollowUpStateSchema.parse(completed.body) as unknown as { incidentId: string; commander: string; tasks: Task[] };
    expect(afterCompletion).toMatchObject({ incidentId: id, commander: 'dana' });
    expect(followUp(afterCompletion, 'follow-up-1')).toMatchObject({ status: 'done', completed: { by: { name: 'test-responder' } } });
    expect(followUp(afterCompletion, 'follow-up-2').status).toBe('open');
    const again = await post(`/v1/incidents/${id}/follow-ups/follow-up-1/complete`, as('responder'), {}, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect((await post(`/v1/incidents/${id}/follow-ups/follow-up-1/complete`, as('manager'), {})).body.detail).toMatch(/already completed by test-responder/);

    const audit = await get(`/v1/incidents/${id}/audit`);
    expect(audit.body.verification.valid).toBe(true);
    const entries = audit.body.entries as Array<{ action: string; actor: string; outcome: string; details: Record<string, any> }>;
    expect(entries.filter((e) => e.action === 'completeFollowUp').map((e) => [e.actor, e.outcome])).toEqual([
      ['test-manager', 'rejected'], // before the close
      [bob.name, 'rejected'],
      ['test-responder', 'applied'],
      ['test-manager', 'rejected'],
    ]);
    expect(entries.find((e) => e.action === 'completeFollowUp' && e.actor === bob.name)?.details.reason).toBe(wrongPerson.body.detail);

    // The second one: commented on, handed to someone else, then skipped — only with a reason.
    const commented = await post(`/v1/incidents/${id}/follow-ups/follow-up-2/comments`, as('responder'), { text: 'waiting for the vendor' });
    expect(commented.status).toBe(200);
    const reassigned = await post(`/v1/incidents/${id}/follow-ups/follow-up-2/reassign`, as('manager'), { assignee: 'frank', reason: `${erin} left the team` });
    expect(reassigned.status).toBe(200);
    expect(followUp(reassigned.body, 'follow-up-2')).toMatchObject({ assignee: 'frank', comments: [{ text: 'waiting for the vendor' }] });
    for (const body of [{}, { reason: '  ' }]) {
      const unexplained = await post(`/v1/incidents/${id}/follow-ups/follow-up-2/skip`, as('manager'), body);
      expect(unexplained.status).toBe(400);
      expect(unexplained.body.errors.map((e: { field: string }) => e.field)).toEqual(['reason']);
    }
    expect((await post(`/v1/incidents/${id}/follow-ups/follow-up-9/skip`, as('manager'), { reason: 'typo' })).body.detail).toMatch(/no task "follow-up-9"/);
    const skipped = await post(`/v1/incidents/${id}/follow-ups/follow-up-2/skip`, as('manager'), { reason: 'the deploy keys are retired with the old pipeline' });
    expect(skipped.status).toBe(200);
    expect(followUp(skipped.body, 'follow-up-2')).toMatchObject({ status: 'skipped', skipped: { by: { name: 'test-manager' }, reason: 'the deploy keys are retired with the old pipeline' } });

    // Every follow-up settled: their workflow ends, and any decision is 409 naming why.
    await stack.temporal.workflow.getHandle(followUpWorkflowIdFor(id)).result();
    for (const [path, role, body] of [
      ['follow-up-1/complete', 'responder', {}],
      ['follow-up-2/reassign', 'manager', { assignee: 'grace' }],
      ['follow-up-2/skip', 'manager', { reason: 'again' }],
      ['follow-up-1/comments', 'responder', { text: 'one more thing' }],
    ] as const) {
      const late = await post(`/v1/incidents/${id}/follow-ups/${path}`, as(role), body);
      expect(late.status).toBe(409);
      expect(late.body.detail).toBe(`every follow-up of incident ${id} is settled (1 done, 1 skipped); they take no more decisions`);
    }
    expect((await get(`/v1/incidents/${id}/follow-ups`, 'manager')).body.items.map((t: Task) => [t.taskId, t.status])).toEqual([
      ['follow-up-1', 'done'],
      ['follow-up-2', 'skipped'],
    ]);
    // The timeline goes on past the close: every follow-up step, from the audit log, in order.
    const timeline = await get(`/v1/incidents/${id}/timeline`);
    expect(timeline.status).toBe(200);
    const items = timeline.body.items as Array<{ kind: string; action: string; actor?: string; outcome: string; source: string }>;
    expect(items.filter((i) => i.kind === 'follow_up').map((i) => [i.action, i.actor, i.outcome, i.source])).toEqual([
      ['open_follow_ups', 'firebreak', 'recorded', 'audit-log'],
      ['completeFollowUp', 'test-responder', 'applied', 'audit-log'],
      ['commentFollowUp', 'test-responder', 'applied', 'audit-log'],
      ['reassignFollowUp', 'test-manager', 'applied', 'audit-log'],
      ['skipFollowUp', 'test-manager', 'applied', 'audit-log'],
      ['settle_follow_ups', 'firebreak', 'recorded', 'audit-log'],
    ]);
    // The refused ones show as refused decisions, as any other: before the close, the wrong person,
    // the second completion, and the one after every follow-up was settled.
    expect(items.filter((i) => i.kind === 'decision' && i.action === 'completeFollowUp' && i.outcome === 'rejected')).toHaveLength(4);
    const closedAt = items.findIndex((i) => i.kind === 'phase' && i.action === 'enter_closed');
    expect(items.findIndex((i) => i.kind === 'follow_up')).toBeGreaterThan(closedAt);

    const onTheList = TaskListSchema.parse((await get('/v1/tasks?assignee=frank', 'manager')).body).items;
    expect(onTheList.map((t) => [t.incidentId, t.taskId, t.status, t.followUp])).toEqual([[id, 'follow-up-2', 'skipped', true]]);

    // This suite's database holds only these two: done and skipped this week, none open.
    const report = await get('/v1/reports/summary', 'manager');
    expect(report.status).toBe(200);
    expect(SummaryReportSchema.parse(report.body).followUps).toEqual({ open: 0, overdue: 0, done: 1, skipped: 1 });
    const markdown = await fetch(`${stack.api.url}/v1/reports/summary?format=markdown`, { headers: { authorization: `Bearer ${as('auditor')}` } });
    expect(await markdown.text()).toContain('Open at the end of the period **0**, of which overdue **0**; completed in the period **1**, skipped **1**.');
  });

  it('has no follow-ups for an incident closed without action items: an empty list, and 409 for a decision', async () => {
    const id = await inReview();
    await closeWith(id, []);
    expect((await get(`/v1/incidents/${id}/follow-ups`)).body).toEqual({ incidentId: id, items: [] });
    const refused = await post(`/v1/incidents/${id}/follow-ups/follow-up-1/comments`, as('responder'), { text: 'anything?' });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toBe(`incident ${id} has no follow-ups (its review named no action items, or it has not closed)`);
  });
});
