import * as domain from '../../src/domain/incident';
import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import type { Principal } from '../../src/domain/principal';
import type { IncidentState } from '../../src/console/views/incident/state';
import { isOverdue, nextEscalationAt, waitingFor, waitingList, waitingSentence } from '../../src/console/views/incident/waiting';

/** The state as the console receives it: the workflow's own state, through JSON. */
const asServed = (state: domain.IncidentState): IncidentState => JSON.parse(JSON.stringify(state)) as IncidentState;

const t0 = new Date('2026-12-03T10:00:00.000Z');
const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);
const manager: Principal = { keyId: 'k-m', name: 'Morgan Manager', role: 'manager' };
const responder: Principal = { keyId: 'k-r', name: 'Rory Responder', role: 'responder' };
const iso = (s: string) => s;

function opened(severity: 'critical' | 'high' = 'critical'): domain.IncidentState {
  const state = domain.openIncident({ incidentId: '0123456789abcdef', dedupKey: 'd', title: 'Ransomware on db-1', source: 'edr', severity }, DEFAULT_POLICY, t0);
  // The workflow pages level 0 as the incident opens.
  return { ...state, escalations: [domain.pageFor({ level: 0, loop: 0, targets: ['on_call'], repeatAtTop: false }, { cause: 'acknowledge', reason: 'opened', at: t0, page: 1 })] };
}

describe('what an incident is waiting for', () => {
  it('a new SEV1 waits for acknowledgement from a responder or manager, escalating one level up when its 15 minutes run out', () => {
    const waiting = waitingFor(asServed(opened()), at(1))!;
    expect(waiting.what).toBe('acknowledgement');
    expect(waiting.whom).toBe('a responder or manager (on_call paged)');
    expect(waiting.escalatesAt).toBe('2026-12-03T10:15:00.000Z');
    expect(waiting.escalatesTo).toBe('level 1');
    expect(waiting.overdue).toBe(false);
    expect(waitingSentence(waiting, iso)).toBe(
      'Waiting for acknowledgement from a responder or manager (on_call paged); escalates to level 1 at 2026-12-03T10:15:00.000Z',
    );
  });

  it('after a missed deadline it is overdue, the level paged is named, and the next page goes one level further at the repeat time', () => {
    const missed = domain.escalateForMissedDeadline(opened(), opened().nextDeadline!, DEFAULT_POLICY, at(15), { legacy: false }).state;
    const waiting = waitingFor(asServed(missed), at(16))!;
    expect(waiting.overdue).toBe(true);
    expect(waiting.whom).toBe('a responder or manager (ir_manager paged)');
    expect(waiting.escalatesTo).toBe('level 2');
    // critical repeats every 15 minutes, counted from the missed deadline
    expect(waiting.escalatesAt).toBe('2026-12-03T10:30:00.000Z');
    expect(isOverdue(asServed(missed), at(16))).toBe(true);
    expect(isOverdue(asServed(opened()), at(16))).toBe(true); // no worker moved it, but its deadline has passed
    expect(isOverdue(asServed(opened()), at(14))).toBe(false);
  });

  it('a level paged before is named with its targets (a chain walked again from the bottom)', () => {
    const state = asServed(opened());
    state.escalationLevel = 0;
    state.escalations = [
      ...(state.escalations ?? []),
      { level: 1, target: 'ir_manager', targets: ['ir_manager', 'ciso'], cause: 'acknowledge', reason: 'missed', at: at(15).toISOString() },
    ];
    expect(waitingFor(state, at(1))!.escalatesTo).toBe('level 1 (ir_manager, ciso)');
  });

  it('once a page has repeated the top, the next one goes to the same level again', () => {
    const state = asServed(opened());
    state.escalationLevel = 3;
    state.escalations = [{ level: 3, target: 'external_assistance', cause: 'acknowledge', reason: 'missed', at: at(60).toISOString(), repeat: true }];
    expect(waitingFor(state, at(61))!.escalatesTo).toBe('level 3 (external_assistance)');
  });

  it('an acknowledged incident waits for the assessment from a manager', () => {
    const triage = domain.acknowledge(opened(), responder, DEFAULT_POLICY, at(5));
    const waiting = waitingFor(asServed(triage), at(6))!;
    expect(waiting.what).toBe('the assessment');
    expect(waiting.whom).toMatch(/^a manager/);
    expect(waiting.escalatesAt).toBe(at(65).toISOString());
  });

  it('a containment approval names the plan digest it would approve', () => {
    const triage = domain.acknowledge(opened('high'), responder, DEFAULT_POLICY, at(5));
    const withAsset = domain.recordAlert(triage, { alertId: 'a1', source: 'edr', sourceRef: 'r', title: 't', severity: 'high', receivedAt: at(6).toISOString(), assets: [{ kind: 'host', id: 'db-1' }] });
    const response = domain.assess(withAsset, { severity: 'high', category: 'malware', strategy: 'contain_first', externalAssistance: false }, manager, DEFAULT_POLICY, at(10));
    const awaiting = domain.awaitContainmentApproval(response, DEFAULT_POLICY, at(11));
    const waiting = waitingFor(asServed(awaiting), at(12))!;
    expect(waiting.what).toMatch(/^a containment approval of plan sha256:[0-9a-f]{12}…$/);
    expect(awaiting.response!.pendingPlanDigest!.slice(7, 19)).toBe(waiting.what.match(/sha256:([0-9a-f]{12})/)![1]);
    expect(waiting.whom).toMatch(/^a manager/);
    expect(waiting.escalatesAt).toBe(at(71).toISOString());
  });

  it('an open task escalates at its due time and is awaited from its assignee; the one that escalates first is shown first', () => {
    const state = asServed(domain.acknowledge(opened(), responder, DEFAULT_POLICY, at(5)));
    state.tasks = [
      { taskId: 'adhoc-1', kind: 'task', title: 'Rotate keys', owner: { role: 'responder' }, assignee: 'Rory Responder', status: 'open', dueAt: at(30).toISOString() },
      { taskId: 'adhoc-2', kind: 'task', title: 'Done already', owner: { role: 'responder' }, status: 'done', dueAt: at(1).toISOString() },
    ];
    const list = waitingList(state, at(6));
    expect(list.map((w) => w.what)).toEqual(['task “Rotate keys”', 'the assessment']);
    expect(list[0]!.whom).toBe('Rory Responder');
    expect(nextEscalationAt(state, at(6))).toBe(at(30).toISOString());
  });

  it('a running regulatory clock is awaited from a manager until filed', () => {
    const state = asServed(domain.acknowledge(opened(), responder, DEFAULT_POLICY, at(5)));
    state.regulatoryClocks = [
      { regime: 'gdpr', stage: 'authority', startedAt: at(0).toISOString(), dueAt: at(20).toISOString(), missed: false },
      { regime: 'nis2', stage: 'final', startsAfter: 'notification', missed: false },
    ];
    const first = waitingFor(state, at(6))!;
    expect(first.what).toBe('the gdpr authority filing');
    expect(first.whom).toBe('a manager');
    state.regulatoryClocks[0]!.filing = { reference: 'ref', filedAt: at(7).toISOString(), late: false, by: manager };
    expect(waitingFor(state, at(8))!.what).toBe('the assessment');
  });

  it('in review without a required review it waits for the close, which escalates nothing; closed incidents wait for nothing', () => {
    const state = asServed(opened('high'));
    state.phase = 'review';
    delete state.nextDeadline;
    const waiting = waitingFor(state, at(1))!;
    expect(waitingSentence(waiting, iso)).toBe('Waiting for the close from a manager; nothing escalates it');
    state.phase = 'closed';
    expect(waitingFor(state, at(1))).toBeUndefined();
    expect(isOverdue(state, at(10_000))).toBe(false);
  });

  describe('with the policy GET /v1/policy answers, the next level is named with who it pages', () => {
    // Critical: a chain of four levels, the third paging two targets, walked twice.
    const policy: PolicyTable = JSON.parse(
      JSON.stringify({
        ...DEFAULT_POLICY,
        critical: { ...DEFAULT_POLICY.critical, escalation: { levels: [['on_call'], ['ir_manager'], ['ciso', 'ir_manager'], ['external_assistance']], loops: 1 } },
      }),
    ) as PolicyTable;

    it('a new SEV1 escalates to level 1 and the sentence names the ir_manager it pages', () => {
      const waiting = waitingFor(asServed(opened()), at(1), policy)!;
      expect(waiting.escalatesTo).toBe('level 1 (ir_manager)');
      expect(waitingSentence(waiting, iso)).toBe(
        'Waiting for acknowledgement from a responder or manager (on_call paged); escalates to level 1 (ir_manager) at 2026-12-03T10:15:00.000Z',
      );
    });

    it('a level that pages several targets names them all, though this incident never paged it', () => {
      const missed = domain.escalateForMissedDeadline(opened(), opened().nextDeadline!, policy, at(15), { legacy: false }).state;
      expect(missed.escalations.map((e) => e.level)).toEqual([0, 1]);
      expect(waitingFor(asServed(missed), at(16), policy)!.escalatesTo).toBe('level 2 (ciso, ir_manager)');
      // Without the policy the console can only count.
      expect(waitingFor(asServed(missed), at(16))!.escalatesTo).toBe('level 2');
    });

    it('past the top the chain is walked again from level 0 while loops remain, as the workflow does', () => {
      let state = opened();
      for (let miss = 1; miss <= 3; miss += 1) state = domain.escalateForMissedDeadline(state, state.nextDeadline!, policy, at(15 * miss), { legacy: false }).state;
      expect(state.escalationLevel).toBe(3);
      const waiting = waitingFor(asServed(state), at(46), policy)!;
      expect(waiting.escalatesTo).toBe('level 0 (on_call)');
      const next = domain.escalateForMissedDeadline(state, state.nextDeadline!, policy, at(60), { legacy: false }).state;
      expect(next.escalationLevel).toBe(0);
      expect(next.escalations.at(-1)!.targets ?? [next.escalations.at(-1)!.target]).toEqual(['on_call']);
    });

    it('once the loops are spent every page repeats the top, and names the commander it pages too', () => {
      const state = asServed(opened());
      state.escalationLevel = 3;
      state.escalationLoop = 1;
      state.roles = { commander: { person: 'Dana Commander', by: manager, at: at(2).toISOString() } };
      expect(waitingFor(state, at(61), policy)!.escalatesTo).toBe('level 3 (external_assistance, commander Dana Commander)');
    });

    it('a severity without a chain in its table (an older policy) runs on the default chain', () => {
      const older = JSON.parse(JSON.stringify(DEFAULT_POLICY)) as PolicyTable;
      delete older.high.escalation;
      expect(waitingFor(asServed(opened('high')), at(1), older)!.escalatesTo).toBe('level 1 (ir_manager)');
    });
  });
});
