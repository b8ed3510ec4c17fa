import { compareQueuePositions, escalatesAt, isOverdue, type QueueFacts } from '../../src/domain/queue-order';

const now = new Date('2026-12-03T10:00:00.000Z');
const detected = (over: Partial<QueueFacts>): QueueFacts => ({ phase: 'detected', slaBreaches: [], ...over });
const due = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString();

describe('the queue order', () => {
  it('an open incident is overdue when its awaited deadline is due, or was missed in this phase', () => {
    expect(isOverdue(detected({ nextDeadline: { kind: 'acknowledge', dueAt: due(5) } }), now)).toBe(false);
    expect(isOverdue(detected({ nextDeadline: { kind: 'acknowledge', dueAt: due(0) } }), now)).toBe(true);
    // After a miss the deadline moves on to the next page's time; the breach says it is overdue.
    const missed = { deadline: 'acknowledge' as const, phase: 'detected' };
    expect(isOverdue(detected({ nextDeadline: { kind: 'acknowledge', dueAt: due(15) }, slaBreaches: [missed] }), now)).toBe(true);
    // A breach of an earlier phase, or of another deadline, is not this one's.
    expect(isOverdue({ phase: 'triage', nextDeadline: { kind: 'assess', dueAt: due(60) }, slaBreaches: [missed] }, now)).toBe(false);
    // Past the top under the old rule there is no deadline left: nothing escalates, nothing is overdue.
    expect(isOverdue(detected({ slaBreaches: [missed] }), now)).toBe(false);
  });

  it('counts stage SLAs, open tasks and running regulatory clocks, and nothing once closed', () => {
    const response = (over: Partial<QueueFacts>): QueueFacts => ({ phase: 'response', slaBreaches: [], ...over });
    expect(isOverdue(response({ stageDeadlines: [{ kind: 'contain', dueAt: due(-1) }] }), now)).toBe(true);
    expect(isOverdue(response({ tasks: [{ status: 'open', dueAt: due(-1) }] }), now)).toBe(true);
    expect(isOverdue(response({ tasks: [{ status: 'done', dueAt: due(-1) }] }), now)).toBe(false);
    expect(isOverdue(response({ regulatoryClocks: [{ startedAt: due(-100), dueAt: due(-1), missed: false }] }), now)).toBe(true);
    expect(isOverdue(response({ regulatoryClocks: [{ startedAt: due(-100), missed: true }] }), now)).toBe(true);
    expect(isOverdue(response({ regulatoryClocks: [{ startedAt: due(-100), dueAt: due(-1), missed: true, filing: {} }] }), now)).toBe(false);
    expect(isOverdue(response({ regulatoryClocks: [{ dueAt: due(-1), missed: false }] }), now)).toBe(false); // not started
    expect(isOverdue({ phase: 'closed', nextDeadline: { kind: 'review', dueAt: due(-1) } }, now)).toBe(false);
  });

  it('escalates at the soonest due time of what it waits for, a task at its next page, a missed clock never', () => {
    expect(
      escalatesAt({
        phase: 'response',
        nextDeadline: { kind: 'approveContainment', dueAt: due(30) },
        stageDeadlines: [{ kind: 'contain', dueAt: due(20) }],
        tasks: [
          { status: 'open', dueAt: due(-10), nextOverdueAt: due(10) },
          { status: 'done', dueAt: due(1) },
        ],
        regulatoryClocks: [{ startedAt: due(-100), dueAt: due(-5), missed: true }],
      }),
    ).toBe(due(10));
    expect(escalatesAt({ phase: 'review' })).toBeUndefined();
    expect(escalatesAt({ phase: 'closed', nextDeadline: { kind: 'review', dueAt: due(1) } })).toBeUndefined();
  });

  it('orders overdue first, then the soonest escalation, none last, ties by id', () => {
    const rows = [
      { overdue: false, escalatesAt: null, incidentId: 'a' },
      { overdue: false, escalatesAt: due(5), incidentId: 'c' },
      { overdue: true, escalatesAt: due(50), incidentId: 'd' },
      { overdue: false, escalatesAt: due(5), incidentId: 'b' },
      { overdue: true, escalatesAt: null, incidentId: 'e' },
    ];
    expect(rows.sort(compareQueuePositions).map((r) => r.incidentId)).toEqual(['d', 'e', 'b', 'c', 'a']);
  });
});
