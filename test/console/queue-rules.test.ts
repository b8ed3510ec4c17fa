import type { IncidentState } from '../../src/console/views/incident/state';
import { byNextDeadline, filtersFromQuery, isMine, listRequests, queryFromFilters } from '../../src/console/views/incident/queue-rules';
import { mayMake, phaseRejection, taskRejection } from '../../src/console/views/incident/decision-rules';

const base = (over: Partial<IncidentState>): IncidentState => ({
  incidentId: '0123456789abcdef',
  title: 't',
  source: 'edr',
  severity: 'high',
  phase: 'detected',
  openedAt: '2026-12-03T10:00:00.000Z',
  phaseEnteredAt: {},
  alertCount: 1,
  escalationLevel: 0,
  version: 1,
  ...over,
});
const now = new Date('2026-12-03T10:05:00.000Z');
const by = { name: 'Morgan Manager', role: 'manager' as const };

describe('the queue', () => {
  it('keeps its filters and cursors in the URL and reads them back', () => {
    const filters = { phase: 'triage' as const, severity: 'critical' as const, source: 'edr', overdue: true, mine: true, cursors: { triage: 'abc_-1' } };
    const query = queryFromFilters(filters);
    expect(query.toString()).toBe('phase=triage&severity=critical&source=edr&overdue=1&mine=1&cursor=triage.abc_-1');
    expect(filtersFromQuery(query)).toEqual(filters);
  });

  it('ignores what is not a filter value rather than sending it to the API', () => {
    const f = filtersFromQuery(new URLSearchParams('phase=nope&severity=SEV1&source=a%20b&cursor=triage.x%2Fy,bogus.z&overdue=yes'));
    expect(f).toEqual({ overdue: false, mine: false, cursors: {} });
  });

  it('lists every open phase on the first page, and on later pages only the phases whose listing goes on', () => {
    const first = listRequests({ overdue: false, mine: false, cursors: {}, severity: 'low' }, 25);
    expect(first.map((r) => r.path)).toEqual([
      '/v1/incidents?status=detected&limit=25&severity=low',
      '/v1/incidents?status=triage&limit=25&severity=low',
      '/v1/incidents?status=response&limit=25&severity=low',
      '/v1/incidents?status=review&limit=25&severity=low',
    ]);
    const later = listRequests({ overdue: false, mine: false, cursors: { response: 'c1' } }, 25);
    expect(later.map((r) => r.path)).toEqual(['/v1/incidents?status=response&limit=25&cursor=c1']);
    expect(listRequests({ phase: 'closed', overdue: false, mine: false, cursors: {} }, 10).map((r) => r.phase)).toEqual(['closed']);
  });

  it('"mine" is an incident role held or an open task assigned, by name', () => {
    expect(isMine(base({ roles: { commander: { person: 'morgan manager', by: { name: 'x', role: 'manager' }, at: '' } } }), by)).toBe(true);
    expect(isMine(base({ tasks: [{ taskId: 'a', kind: 'task', title: 't', owner: { role: 'manager' }, assignee: 'Morgan Manager', status: 'open', dueAt: '' }] }), by)).toBe(true);
    expect(isMine(base({ tasks: [{ taskId: 'a', kind: 'task', title: 't', owner: { role: 'manager' }, assignee: 'Morgan Manager', status: 'done', dueAt: '' }] }), by)).toBe(false);
    expect(isMine(base({ roles: { scribe: { person: 'Rory', by: { name: 'x', role: 'manager' }, at: '' } } }), by)).toBe(false);
  });

  it('sorts by the next escalation, soonest first, with incidents that escalate nothing last', () => {
    const late = base({ incidentId: 'b', nextDeadline: { kind: 'acknowledge', dueAt: '2026-12-03T11:00:00.000Z' } });
    const soon = base({ incidentId: 'a', nextDeadline: { kind: 'acknowledge', dueAt: '2026-12-03T10:10:00.000Z' } });
    const none = base({ incidentId: 'c', phase: 'response' });
    expect([late, none, soon].sort(byNextDeadline(now)).map((s) => s.incidentId)).toEqual(['a', 'b', 'c']);
  });
});

describe('decision forms', () => {
  it('follow the API roles table: a responder may acknowledge but not assess or close', () => {
    expect(mayMake('responder', 'acknowledge')).toBe(true);
    expect(mayMake('responder', 'assess')).toBe(false);
    expect(mayMake('responder', 'close')).toBe(false);
    expect(mayMake('manager', 'close')).toBe(true);
    expect(mayMake('auditor', 'addNote')).toBe(false);
  });

  it('are disabled with the reason when the phase does not allow them', () => {
    expect(phaseRejection(base({ phase: 'triage', acknowledgedAt: 'x', acknowledgedBy: { name: 'Rory', role: 'responder' } }), 'acknowledge')).toBe('already acknowledged by Rory');
    expect(phaseRejection(base({ phase: 'detected' }), 'assess')).toBe('an assessment needs phase triage; the incident is in detected');
    expect(phaseRejection(base({ phase: 'response', response: { completed: [], awaitingApproval: false, containment: [], artifactsCollected: 0 } }), 'approveContainment')).toBe(
      'the response is not waiting for a containment approval',
    );
    expect(phaseRejection(base({ phase: 'closed' }), 'addNote')).toBe('the incident is closed');
    expect(phaseRejection(base({ phase: 'detected' }), 'addNote')).toBeUndefined();
    const determined = { material: false, determinedAt: '', rationale: 'r', by: { name: 'Casey', role: 'manager' as const }, at: '' };
    expect(phaseRejection(base({ phase: 'response', materiality: determined }), 'determineMateriality')).toBe('materiality was already determined by Casey');
  });

  it('a task is completed by its assignee, or a manager; an approval by its approver roles, each person once', () => {
    const state = base({ phase: 'response' });
    const task = { taskId: 'a', kind: 'task' as const, title: 't', owner: { role: 'responder' as const }, assignee: 'Rory', status: 'open' as const, dueAt: '' };
    expect(taskRejection(task, 'completeTask', state, { name: 'Sam', role: 'responder' })).toBe('assigned to Rory');
    expect(taskRejection(task, 'completeTask', state, { name: 'Rory', role: 'responder' })).toBeUndefined();
    expect(taskRejection(task, 'completeTask', state, by)).toBeUndefined();
    const gate = { ...task, kind: 'approval' as const, approvers: ['manager' as const], approvals: [{ approved: true, by: { name: 'Morgan Manager', role: 'manager' as const }, at: '' }] };
    expect(taskRejection(gate, 'completeTask', state, { name: 'Rory', role: 'responder' })).toBe('only manager may decide this approval');
    expect(taskRejection(gate, 'completeTask', state, by)).toBe('you approved it already; a second approver must be someone else');
  });
});
