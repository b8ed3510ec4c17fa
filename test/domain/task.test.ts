import { hours, minutes } from '../../src/domain/duration';
import type { Principal } from '../../src/domain/principal';
import {
  addAdHocTask,
  commentOnTask,
  commentRejection,
  COMMENTS_KEPT,
  completeTask,
  completionRejection,
  isOverdue,
  mayComplete,
  nextAdHocId,
  nextTaskTimer,
  reassignmentRejection,
  reassignTask,
  reminderRecipient,
  skipRejection,
  skipTask,
  taskOverduePaged,
  taskReminderSent,
  taskTimer,
  type IncidentTask,
} from '../../src/domain/task';
import { alice, maria } from '../support/principals';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const iso = (ms: number) => at(ms).toISOString();

const bob: Principal = { keyId: 'k-bob', name: 'bob', role: 'responder' };
const carol: Principal = { keyId: 'k-carol', name: 'carol', role: 'manager' };
const adam: Principal = { keyId: 'k-adam', name: 'adam', role: 'admin' };
const auditor: Principal = { keyId: 'k-audit', name: 'ines', role: 'auditor' };

/** An open task owned by the responder role, due in 4 h, as the interpreter opens it. */
function task(extra: Partial<IncidentTask> = {}): IncidentTask {
  return {
    taskId: 'scope',
    kind: 'task',
    title: 'Scope the compromise',
    owner: { role: 'responder' },
    status: 'open',
    createdAt: t0.toISOString(),
    dueAt: iso(hours(4)),
    remindersSent: 0,
    overduePages: 0,
    ...extra,
  };
}

function approval(extra: Partial<IncidentTask> = {}): IncidentTask {
  return task({ taskId: 'approve_isolation', kind: 'approval', title: 'Approve isolation', owner: { role: 'manager' }, approvers: ['manager'], distinctApprovers: 1, ...extra });
}

describe('who may complete a task', () => {
  it('is anyone with the owner role while nobody is assigned', () => {
    expect(mayComplete(task(), alice, {})).toBe(true);
    expect(mayComplete(task(), bob, {})).toBe(true);
    expect(mayComplete(task(), adam, {})).toBe(false);
    expect(mayComplete(task(), auditor, {})).toBe(false);
  });

  it('is only the assignee once the task is assigned, not others of the owner role', () => {
    const assigned = task({ assignee: 'bob' });
    expect(mayComplete(assigned, bob, {})).toBe(true);
    expect(mayComplete(assigned, alice, {})).toBe(false);
    expect(completionRejection([assigned], { taskId: 'scope' }, alice, {})).toBe('task "scope" belongs to bob, not to alice');
  });

  it('is whoever holds the owner incident role, whatever their API role', () => {
    const forCommander = task({ owner: { incidentRole: 'commander' } });
    expect(mayComplete(forCommander, adam, { commander: 'adam' })).toBe(true);
    expect(mayComplete(forCommander, alice, { commander: 'adam' })).toBe(false);
    expect(mayComplete(forCommander, alice, {})).toBe(false);
    expect(completionRejection([forCommander], { taskId: 'scope' }, alice, { commander: 'adam' })).toBe(
      'task "scope" belongs to the incident\'s commander, not to alice',
    );
  });

  it('is any manager, even for a task assigned to someone else', () => {
    expect(mayComplete(task({ assignee: 'bob' }), maria, {})).toBe(true);
    expect(mayComplete(task({ owner: { incidentRole: 'scribe' } }), maria, { scribe: 'bob' })).toBe(true);
    expect(completionRejection([task({ assignee: 'bob' })], { taskId: 'scope' }, maria, {})).toBeUndefined();
  });

  it('is only the approver roles for an approval gate, a manager included only when listed', () => {
    const byAdmins = approval({ approvers: ['admin'], owner: { role: 'admin' } });
    expect(mayComplete(byAdmins, adam, {})).toBe(true);
    expect(mayComplete(byAdmins, maria, {})).toBe(false);
    expect(completionRejection([byAdmins], { taskId: 'approve_isolation', approved: true }, maria, {})).toBe('only admin may decide approval "approve_isolation"');
    const either = approval({ approvers: ['manager', 'admin'] });
    expect(completionRejection([either], { taskId: 'approve_isolation', approved: true }, alice, {})).toBe('only manager or admin may decide approval "approve_isolation"');
  });
});

describe('completing a task', () => {
  const withFields = task({
    outcomeFields: [
      { name: 'hostsAffected', type: 'number', required: true },
      { name: 'confirmed', type: 'boolean', required: true },
      { name: 'notes', type: 'string', required: false },
    ],
  });

  it('refuses an unknown task', () => {
    expect(completionRejection([task()], { taskId: 'nope' }, alice, {})).toBe('no task "nope" on this incident');
  });

  it('needs every required outcome field', () => {
    expect(completionRejection([withFields], { taskId: 'scope', outcome: { confirmed: true } }, alice, {})).toBe('outcome.hostsAffected is required to complete task "scope"');
    expect(completionRejection([withFields], { taskId: 'scope' }, alice, {})).toBe('outcome.hostsAffected is required to complete task "scope"');
  });

  it('refuses a field of the wrong type', () => {
    expect(completionRejection([withFields], { taskId: 'scope', outcome: { hostsAffected: '3', confirmed: true } }, alice, {})).toBe('outcome.hostsAffected must be a number');
    expect(completionRejection([withFields], { taskId: 'scope', outcome: { hostsAffected: 3, confirmed: true, notes: 4 } }, alice, {})).toBe('outcome.notes must be a string');
  });

  it('refuses a field the task does not have, listing the ones it has', () => {
    expect(completionRejection([withFields], { taskId: 'scope', outcome: { hostsAffected: 3, confirmed: true, severity: 'high' } }, alice, {})).toBe(
      'outcome.severity is not a field of task "scope" (its fields: hostsAffected, confirmed, notes)',
    );
    expect(completionRejection([task()], { taskId: 'scope', outcome: { done: true } }, alice, {})).toBe('outcome.done is not a field of task "scope" (its fields: none)');
  });

  it('accepts the required fields without the optional ones, and records outcome, who and when', () => {
    const completion = { taskId: 'scope', outcome: { hostsAffected: 3, confirmed: true } };
    expect(completionRejection([withFields], completion, alice, {})).toBeUndefined();
    const [done] = completeTask([withFields], completion, alice, at(minutes(20)));
    expect(done).toMatchObject({ status: 'done', outcome: { hostsAffected: 3, confirmed: true }, completed: { by: alice, at: iso(minutes(20)) } });
  });

  it('records an empty outcome for a task without fields, and leaves the other tasks alone', () => {
    const other = task({ taskId: 'notify_legal' });
    const [done, untouched] = completeTask([task(), other], { taskId: 'scope' }, alice, at(1000));
    expect(done!.outcome).toEqual({});
    expect(untouched).toBe(other);
  });

  it('refuses an approval decision on a plain task', () => {
    expect(completionRejection([task()], { taskId: 'scope', approved: true }, alice, {})).toBe('task "scope" is not an approval; send its outcome instead');
  });

  it('refuses a task already done, naming who completed it and when', () => {
    const done = completeTask([task()], { taskId: 'scope' }, bob, at(minutes(5)));
    expect(completionRejection(done, { taskId: 'scope' }, alice, {})).toBe(`task "scope" was already completed by bob at ${iso(minutes(5))}`);
  });

  it('refuses a task that was skipped, naming who skipped it and when', () => {
    const skipped = skipTask([task()], { taskId: 'scope', reason: 'not a host incident' }, maria, at(minutes(7)));
    expect(completionRejection(skipped, { taskId: 'scope' }, alice, {})).toBe(`task "scope" was skipped by maria at ${iso(minutes(7))}`);
    expect(skipRejection(skipped, { taskId: 'scope', reason: 'again' })).toBe(`task "scope" was skipped by maria at ${iso(minutes(7))}`);
    expect(reassignmentRejection(skipped, { taskId: 'scope', assignee: 'bob' })).toBe(`task "scope" was skipped by maria at ${iso(minutes(7))}`);
  });
});

describe('approval gates', () => {
  const fourEyes = approval({ distinctApprovers: 2 });

  it('needs approved true or false, and takes no outcome', () => {
    expect(completionRejection([approval()], { taskId: 'approve_isolation' }, maria, {})).toBe('approval "approve_isolation" needs approved: true or false');
    expect(completionRejection([approval()], { taskId: 'approve_isolation', approved: true, outcome: { ok: true } }, maria, {})).toBe(
      'approval "approve_isolation" takes approved and reason, not an outcome',
    );
  });

  it('is decided by one approval when one approver is enough', () => {
    const [gate] = completeTask([approval()], { taskId: 'approve_isolation', approved: true }, maria, at(minutes(3)));
    expect(gate).toMatchObject({ status: 'done', outcome: { approved: true }, completed: { by: maria, at: iso(minutes(3)) } });
  });

  it('stays open after the first of two approvals, and refuses the same person approving twice', () => {
    const once = completeTask([fourEyes], { taskId: 'approve_isolation', approved: true }, maria, at(minutes(3)));
    expect(once[0]).toMatchObject({ status: 'open', approvals: [{ by: maria, approved: true, at: iso(minutes(3)) }] });
    expect(once[0]!.outcome).toBeUndefined();
    expect(completionRejection(once, { taskId: 'approve_isolation', approved: true }, maria, {})).toBe(
      'maria already approved "approve_isolation"; a second approver must be someone else',
    );
  });

  it('is approved once two different people approved', () => {
    const once = completeTask([fourEyes], { taskId: 'approve_isolation', approved: true }, maria, at(minutes(3)));
    expect(completionRejection(once, { taskId: 'approve_isolation', approved: true }, carol, {})).toBeUndefined();
    const [gate] = completeTask(once, { taskId: 'approve_isolation', approved: true }, carol, at(minutes(9)));
    expect(gate).toMatchObject({ status: 'done', outcome: { approved: true }, completed: { by: carol, at: iso(minutes(9)) } });
    expect(gate!.approvals!.map((a) => a.by.name)).toEqual(['maria', 'carol']);
  });

  it('is refused at once by a single refusal, even when two approvals are needed, keeping the reason', () => {
    const [gate] = completeTask([fourEyes], { taskId: 'approve_isolation', approved: false, reason: 'web-01 serves checkout' }, carol, at(minutes(4)));
    expect(gate).toMatchObject({ status: 'done', outcome: { approved: false }, completed: { by: carol } });
    expect(gate!.approvals).toEqual([{ by: carol, at: iso(minutes(4)), approved: false, reason: 'web-01 serves checkout' }]);
  });

  it('is refused when the second person refuses after a first approval', () => {
    const once = completeTask([fourEyes], { taskId: 'approve_isolation', approved: true }, maria, at(minutes(3)));
    const [gate] = completeTask(once, { taskId: 'approve_isolation', approved: false }, carol, at(minutes(5)));
    expect(gate).toMatchObject({ status: 'done', outcome: { approved: false } });
  });

  it('cannot be assigned to one person', () => {
    expect(reassignmentRejection([approval()], { taskId: 'approve_isolation', assignee: 'maria' })).toBe(
      'approval "approve_isolation" goes to its approver roles; it cannot be assigned to one person',
    );
  });
});

describe('skipping a task', () => {
  it('needs a reason that is more than blanks', () => {
    expect(skipRejection([task()], { taskId: 'scope', reason: '' })).toBe('a skip needs a reason');
    expect(skipRejection([task()], { taskId: 'scope', reason: '   ' })).toBe('a skip needs a reason');
    expect(skipRejection([task()], { taskId: 'scope', reason: 'the EDR already scoped it' })).toBeUndefined();
  });

  it('records who skipped it, when and why', () => {
    const [skipped] = skipTask([task()], { taskId: 'scope', reason: 'the EDR already scoped it' }, maria, at(minutes(30)));
    expect(skipped).toMatchObject({ status: 'skipped', skipped: { by: maria, at: iso(minutes(30)), reason: 'the EDR already scoped it' } });
  });

  it('refuses a task already completed, naming who and when', () => {
    const done = completeTask([task()], { taskId: 'scope' }, alice, at(minutes(2)));
    expect(skipRejection(done, { taskId: 'scope', reason: 'late' })).toBe(`task "scope" was already completed by alice at ${iso(minutes(2))}`);
  });
});

describe('reassigning a task', () => {
  it('hands it to the new assignee, who alone (with managers) may then complete it', () => {
    const [moved] = reassignTask([task()], { taskId: 'scope', assignee: 'bob', reason: 'on shift' }, maria, at(minutes(1)));
    expect(moved!.assignee).toBe('bob');
    expect(moved!.reassignments).toEqual([{ by: maria, at: iso(minutes(1)), to: 'bob', reason: 'on shift' }]);
    expect(completionRejection([moved!], { taskId: 'scope' }, alice, {})).toBe('task "scope" belongs to bob, not to alice');
    expect(completionRejection([moved!], { taskId: 'scope' }, bob, {})).toBeUndefined();
  });

  it('records whom it was taken from', () => {
    const [moved] = reassignTask([task({ assignee: 'bob' })], { taskId: 'scope', assignee: 'alice' }, maria, at(minutes(1)));
    expect(moved!.reassignments).toEqual([{ by: maria, at: iso(minutes(1)), from: 'bob', to: 'alice' }]);
  });

  it('refuses to assign it to the person who already has it', () => {
    expect(reassignmentRejection([task({ assignee: 'bob' })], { taskId: 'scope', assignee: 'bob' })).toBe('task "scope" is already assigned to bob');
  });

  it('refuses a task that is done', () => {
    const done = completeTask([task()], { taskId: 'scope' }, alice, at(minutes(2)));
    expect(reassignmentRejection(done, { taskId: 'scope', assignee: 'bob' })).toBe(`task "scope" was already completed by alice at ${iso(minutes(2))}`);
  });
});

describe('comments', () => {
  it('are taken on any task of the incident, open or not, and refused for an unknown one', () => {
    const done = completeTask([task()], { taskId: 'scope' }, alice, at(1));
    expect(commentRejection(done, { taskId: 'scope', text: 'for the record' })).toBeUndefined();
    expect(commentRejection(done, { taskId: 'other', text: 'x' })).toBe('no task "other" on this incident');
  });

  it('keep the latest ones only', () => {
    let tasks: IncidentTask[] = [task()];
    for (let i = 1; i <= COMMENTS_KEPT + 5; i += 1) tasks = commentOnTask(tasks, { taskId: 'scope', text: `note ${i}` }, alice, at(i));
    const comments = tasks[0]!.comments!;
    expect(comments).toHaveLength(COMMENTS_KEPT);
    expect(comments[0]!.text).toBe('note 6');
    expect(comments.at(-1)).toEqual({ by: alice, at: iso(COMMENTS_KEPT + 5), text: `note ${COMMENTS_KEPT + 5}` });
  });
});

describe('ad-hoc tasks', () => {
  const added = { title: 'Call the hosting provider', owner: { role: 'responder' as const }, due: hours(2) };

  it('are numbered adhoc-1, adhoc-2 … in the order they are added', () => {
    const one = addAdHocTask([task()], added, {}, maria, t0);
    const two = addAdHocTask(one, added, {}, maria, at(minutes(1)));
    expect(two.map((t) => t.taskId)).toEqual(['scope', 'adhoc-1', 'adhoc-2']);
    expect(nextAdHocId(two)).toBe('adhoc-3');
  });

  it('open now, due after their duration, with who added them', () => {
    const [, adhoc] = addAdHocTask([task()], { ...added, remindEvery: minutes(30), instructions: 'Ask for **netflow**.' }, {}, maria, at(minutes(10)));
    expect(adhoc).toMatchObject({
      kind: 'task',
      status: 'open',
      title: 'Call the hosting provider',
      instructions: 'Ask for **netflow**.',
      createdAt: iso(minutes(10)),
      dueAt: iso(minutes(10) + hours(2)),
      remindEvery: minutes(30),
      remindersSent: 0,
      overduePages: 0,
      added: { by: maria, at: iso(minutes(10)) },
    });
    expect(adhoc!.assignee).toBeUndefined();
  });

  it('go to the holder of their incident role, or to the person named', () => {
    const [forCommander] = addAdHocTask([], { ...added, owner: { incidentRole: 'commander' } }, { commander: 'dana' }, maria, t0);
    expect(forCommander!.assignee).toBe('dana');
    const [named] = addAdHocTask([], { ...added, assignee: 'bob' }, { commander: 'dana' }, maria, t0);
    expect(named!.assignee).toBe('bob');
  });
});

describe('task timers', () => {
  const repeat = minutes(30);

  it('remind at each interval from creation, and stop before the due time', () => {
    let tasks = [task({ remindEvery: hours(1) })]; // due at 4 h: reminders at 1 h, 2 h, 3 h
    const seen: Array<[string, number]> = [];
    for (let i = 0; i < 4; i += 1) {
      const timer = nextTaskTimer(tasks)!;
      seen.push([timer.kind, timer.at - t0.getTime()]);
      if (timer.kind === 'reminder') tasks = taskReminderSent(tasks, 'scope');
    }
    expect(seen).toEqual([
      ['reminder', hours(1)],
      ['reminder', hours(2)],
      ['reminder', hours(3)],
      ['overdue', hours(4)],
    ]);
  });

  it('send no reminder that would fall on the due time itself', () => {
    const tasks = taskReminderSent(taskReminderSent(taskReminderSent([task({ remindEvery: hours(1) })], 'scope'), 'scope'), 'scope');
    expect(taskTimer(tasks[0]!)).toEqual({ taskId: 'scope', kind: 'overdue', at: at(hours(4)).getTime() });
  });

  it('give a task without reminders its due time', () => {
    expect(taskTimer(task())).toEqual({ taskId: 'scope', kind: 'overdue', at: at(hours(4)).getTime() });
  });

  it('are none for a task that is done or skipped', () => {
    const done = completeTask([task()], { taskId: 'scope' }, alice, at(1));
    expect(taskTimer(done[0]!)).toBeUndefined();
    expect(nextTaskTimer(done)).toBeUndefined();
    expect(nextTaskTimer(skipTask([task()], { taskId: 'scope', reason: 'n/a' }, maria, at(1)))).toBeUndefined();
  });

  it('pick the earliest over all open tasks, the first task on a tie', () => {
    const tasks = [
      task({ taskId: 'a', dueAt: iso(hours(4)) }),
      task({ taskId: 'b', dueAt: iso(hours(2)), remindEvery: minutes(45) }),
      task({ taskId: 'c', dueAt: iso(minutes(45)) }),
      task({ taskId: 'd', dueAt: iso(minutes(10)), status: 'done' }),
    ];
    expect(nextTaskTimer(tasks)).toEqual({ taskId: 'b', kind: 'reminder', at: at(minutes(45)).getTime() });
    expect(nextTaskTimer([tasks[2]!, tasks[1]!])).toEqual({ taskId: 'c', kind: 'overdue', at: at(minutes(45)).getTime() });
  });

  it('page an overdue task again on the repeat grid counted from its due time, not from when the timer fired', () => {
    const due = hours(4);
    let tasks = taskOverduePaged([task()], 'scope', repeat, at(due + 7)); // fired 7 ms late
    expect(tasks[0]).toMatchObject({ overduePages: 1, nextOverdueAt: iso(due + repeat) });
    expect(taskTimer(tasks[0]!)).toEqual({ taskId: 'scope', kind: 'overdue', at: at(due + repeat).getTime() });
    tasks = taskOverduePaged(tasks, 'scope', repeat, at(due + repeat + 12));
    expect(tasks[0]).toMatchObject({ overduePages: 2, nextOverdueAt: iso(due + 2 * repeat) });
  });

  it('page once after a backlog, then one interval from now, not a burst for every missed interval', () => {
    const due = hours(4);
    const late = due + 5 * repeat + minutes(7); // no worker ran for two and a half hours
    const [paged] = taskOverduePaged([task()], 'scope', repeat, at(late));
    expect(paged).toMatchObject({ overduePages: 1, nextOverdueAt: iso(late + repeat) });
  });

  it('stop reminding once the task is overdue', () => {
    const [paged] = taskOverduePaged([task({ remindEvery: minutes(20) })], 'scope', repeat, at(hours(4)));
    expect(taskTimer(paged!)!.kind).toBe('overdue');
  });

  it('count a task overdue from its due time while it is open', () => {
    expect(isOverdue(task(), at(hours(4) - 1))).toBe(false);
    expect(isOverdue(task(), at(hours(4)))).toBe(true);
    expect(isOverdue(completeTask([task()], { taskId: 'scope' }, alice, at(hours(5)))[0]!, at(hours(5)))).toBe(false);
  });
});

describe('reminder recipients', () => {
  it('are the assignee, else the incident role holder, else the owner role', () => {
    expect(reminderRecipient(task({ assignee: 'bob' }), {})).toBe('bob');
    expect(reminderRecipient(task({ owner: { incidentRole: 'commander' } }), { commander: 'dana' })).toBe('dana');
    expect(reminderRecipient(task({ owner: { incidentRole: 'commander' } }), {})).toBe('incident commander');
    expect(reminderRecipient(task(), {})).toBe('role responder');
  });
});

describe('ad-hoc ids next to playbook steps', () => {
  // A playbook step may be called "adhoc-2" (a valid step id): the first ad-hoc task must not be.
  it('never reuse the id of a playbook step', () => {
    const tasks = [task({ taskId: 'adhoc-2' })];
    const [, added] = addAdHocTask(tasks, { title: 'Extra', owner: { role: 'responder' }, due: hours(1) }, {}, maria, t0);
    expect(added!.taskId).not.toBe('adhoc-2');
  });
});
