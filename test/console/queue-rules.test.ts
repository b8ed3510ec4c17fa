import type { IncidentState } from '../../src/console/views/incident/state';
import { filtersFromQuery, isMine, listPath, queryFromFilters, rowOverdue, type QueueItem } from '../../src/console/views/incident/queue-rules';
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
  it('keeps its filters and cursor in the URL and reads them back', () => {
    const filters = { phase: 'triage' as const, severity: 'critical' as const, source: 'edr', overdue: true, mine: true, cursor: 'abc_-1' };
    const query = queryFromFilters(filters);
    expect(query.toString()).toBe('phase=triage&severity=critical&source=edr&overdue=1&mine=1&cursor=abc_-1');
    expect(filtersFromQuery(query)).toEqual(filters);
  });

  it('ignores what is not a filter value rather than sending it to the API', () => {
    const f = filtersFromQuery(new URLSearchParams('phase=nope&severity=SEV1&source=a%20b&cursor=x%2Fy&overdue=yes'));
    expect(f).toEqual({ overdue: false, mine: false });
  });

  it('asks one listing a page: the open incidents in the queue order with their state, the filters and the cursor passed on', () => {
    expect(listPath({ overdue: false, mine: false }, 25)).toBe('/v1/incidents?open=true&order=deadline&include=state&limit=25');
    expect(listPath({ phase: 'response', severity: 'low', source: 'edr', overdue: true, mine: true, cursor: 'c1' }, 25)).toBe(
      '/v1/incidents?open=true&order=deadline&include=state&limit=25&status=response&severity=low&source=edr&overdue=true&cursor=c1',
    );
    // "Mine" is not the API's to judge; a closed phase lists that phase newest first.
    expect(listPath({ mine: true, overdue: false }, 10)).not.toContain('mine');
    expect(listPath({ phase: 'closed', overdue: false, mine: false }, 10)).toBe('/v1/incidents?include=state&limit=10&status=closed');
  });

  it('marks a row overdue by the API\'s rule on its state, so a row falls overdue on screen when its time comes', () => {
    const state = base({ nextDeadline: { kind: 'acknowledge', dueAt: '2026-12-03T10:10:00.000Z' } });
    const item: QueueItem = { ...state, escalationLevel: 0, commander: null, acknowledgedAt: null, containedAt: null, resolvedAt: null, closedAt: null, nextDeadline: state.nextDeadline!, overdue: false, escalatesAt: '2026-12-03T10:10:00.000Z', version: 1, state };
    expect(rowOverdue(item, now)).toBe(false);
    expect(rowOverdue(item, new Date('2026-12-03T10:10:00.000Z'))).toBe(true);
    // After a miss the deadline moves on to the next page; the breach keeps it overdue.
    const missed = base({ nextDeadline: { kind: 'acknowledge', dueAt: '2026-12-03T10:25:00.000Z' }, slaBreaches: [{ deadline: 'acknowledge', phase: 'detected', dueAt: '2026-12-03T10:04:00.000Z', detectedAt: '2026-12-03T10:04:00.000Z' }] });
    expect(rowOverdue({ ...item, state: missed }, now)).toBe(true);
    // A breach of an earlier phase does not count.
    expect(rowOverdue({ ...item, state: { ...missed, phase: 'triage', nextDeadline: { kind: 'assess', dueAt: '2026-12-03T11:00:00.000Z' } } }, now)).toBe(false);
    // Without a state, the API's verdict when it listed the row.
    const { state: _s, ...bare } = item;
    expect(rowOverdue({ ...bare, overdue: true }, now)).toBe(true);
  });

  it('"mine" is an incident role held or an open task assigned, by name', () => {
    expect(isMine(base({ roles: { commander: { person: 'morgan manager', by: { name: 'x', role: 'manager' }, at: '' } } }), by)).toBe(true);
    expect(isMine(base({ tasks: [{ taskId: 'a', kind: 'task', title: 't', owner: { role: 'manager' }, assignee: 'Morgan Manager', status: 'open', dueAt: '' }] }), by)).toBe(true);
    expect(isMine(base({ tasks: [{ taskId: 'a', kind: 'task', title: 't', owner: { role: 'manager' }, assignee: 'Morgan Manager', status: 'done', dueAt: '' }] }), by)).toBe(false);
    expect(isMine(base({ roles: { scribe: { person: 'Rory', by: { name: 'x', role: 'manager' }, at: '' } } }), by)).toBe(false);
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
