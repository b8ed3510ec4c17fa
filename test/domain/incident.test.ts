import { hours, minutes } from '../../src/domain/duration';
import {
  acknowledge,
  acknowledgeRejection,
  armStageDeadlines,
  assess,
  assignRole,
  closeRejection,
  engageExternalAssistance,
  escalateManually,
  recordReview,
  resolve,
  startClocks,
  escalateForMissedDeadline,
  nextStageDeadline,
  openIncident,
  recordAlert,
  recordContainment,
  recordEvidence,
  RECENT_ALERTS_KEPT,
  stageDeadlineMissed,
  type AlertSummary,
  type IncidentState,
} from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { policyFrom } from '../../src/domain/policy-schema';
import type { Principal } from '../../src/domain/principal';

const t0 = new Date('2026-03-01T10:00:00.000Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const alice: Principal = { keyId: 'k-alice', name: 'alice', role: 'responder' };
const opened = () =>
  openIncident({ incidentId: 'inc1', dedupKey: 'key', title: 'Phishing wave', source: 'mail-gw', severity: 'critical' }, DEFAULT_POLICY, t0);

const alertNo = (i: number): AlertSummary => ({
  alertId: `a${i}`,
  source: 'mail-gw',
  sourceRef: `r${i}`,
  title: 'Phishing',
  severity: 'critical',
  receivedAt: t0.toISOString(),
  assets: [],
});

describe('opening an incident', () => {
  it('starts detected, at escalation level 0, with the severity’s acknowledgement deadline', () => {
    const state = opened();
    expect(state).toMatchObject({ phase: 'detected', escalationLevel: 0, alertCount: 0, phaseEnteredAt: { detected: t0.toISOString() } });
    expect(state.nextDeadline).toEqual({ kind: 'acknowledge', dueAt: at(minutes(15)).toISOString() });
  });
});

describe('recording alerts', () => {
  it('counts each alert id once and keeps only the most recent ones in the state', () => {
    let state = opened();
    for (let i = 0; i < RECENT_ALERTS_KEPT + 5; i++) state = recordAlert(state, alertNo(i));
    state = recordAlert(state, alertNo(RECENT_ALERTS_KEPT + 4)); // a repeat of the newest
    expect(state.alertCount).toBe(RECENT_ALERTS_KEPT + 5);
    expect(state.recentAlerts).toHaveLength(RECENT_ALERTS_KEPT);
    expect(state.recentAlerts[0]?.alertId).toBe('a5');
  });
});

describe('acknowledging', () => {
  it('moves a detected incident to triage, records who, and starts the assessment deadline', () => {
    const state = acknowledge(opened(), alice, DEFAULT_POLICY, at(minutes(5)));
    expect(state).toMatchObject({ phase: 'triage', acknowledgedBy: alice, acknowledgedAt: at(minutes(5)).toISOString() });
    expect(state.nextDeadline).toEqual({ kind: 'assess', dueAt: at(minutes(5) + hours(1)).toISOString() });
    expect(state.version).toBeGreaterThan(opened().version);
  });

  it('is rejected a second time, naming who acknowledged first', () => {
    expect(acknowledgeRejection(opened())).toBeUndefined();
    const state = acknowledge(opened(), alice, DEFAULT_POLICY, at(minutes(5)));
    expect(acknowledgeRejection(state)).toMatch(/already acknowledged by alice/);
  });
});

describe('a missed deadline', () => {
  const NEW_RULE = { legacy: false };
  /** Misses the pending deadline `n` times in a row, each when it falls due; returns the pages sent. */
  function miss(state: IncidentState, n: number, policy = DEFAULT_POLICY) {
    const pages: string[] = [];
    for (let i = 0; i < n; i++) {
      const deadline = state.nextDeadline!;
      const result = escalateForMissedDeadline(state, deadline, policy, new Date(deadline.dueAt), NEW_RULE);
      state = result.state;
      const e = result.escalation!;
      pages.push(`${(e.targets ?? [e.target]).join('+')}${e.commander ? `+${e.commander}` : ''}@${(Date.parse(e.at) - t0.getTime()) / minutes(1)}m`);
    }
    return { state, pages };
  }

  it('records one SLA breach and climbs the chain one level per miss, one repeat interval apart', () => {
    const { state, pages } = miss(opened(), 3);
    expect(pages).toEqual(['ir_manager@15m', 'ciso@30m', 'external_assistance@45m']);
    expect(state.slaBreaches).toEqual([{ deadline: 'acknowledge', phase: 'detected', dueAt: at(minutes(15)).toISOString(), detectedAt: at(minutes(15)).toISOString() }]);
  });

  it('past the top keeps paging the top level, and the commander once one is assigned, every repeat interval until the decision', () => {
    let { state, pages } = miss(opened(), 4);
    expect(pages.at(-1)).toBe('external_assistance@60m');
    expect(state.nextDeadline).toEqual({ kind: 'acknowledge', dueAt: at(minutes(75)).toISOString() });
    state = assignRole(state, { role: 'commander', person: 'dana' }, alice, at(minutes(61)));
    ({ state, pages } = miss(state, 2));
    expect(pages).toEqual(['external_assistance+dana@75m', 'external_assistance+dana@90m']);
    expect(state.escalations.map((e) => e.page)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(state.escalations.slice(3).every((e) => e.repeat)).toBe(true);
    expect(state.slaBreaches).toHaveLength(1);
  });

  it('walks the chain again while loops remain, as the policy file configures it', () => {
    const policy = policyFrom({ critical: { escalation: { levels: ['on_call', ['ir_manager', 'ciso']], loops: 1 }, escalationRepeat: '10m' } });
    const { state, pages } = miss(openIncident({ incidentId: 'i', dedupKey: 'k', title: 't', source: 's', severity: 'critical' }, policy, t0), 4, policy);
    expect(pages).toEqual(['ir_manager+ciso@15m', 'on_call@25m', 'ir_manager+ciso@35m', 'ir_manager+ciso@45m']);
    expect(state.escalations.map((e) => [e.level, e.loop])).toEqual([[1, 0], [0, 1], [1, 1], [1, 1]]);
  });

  it('counts the next page from now when the timer fired late, so a worker outage does not cause a burst', () => {
    const state = opened();
    const late = at(minutes(15) + hours(2));
    const { state: after } = escalateForMissedDeadline(state, state.nextDeadline!, DEFAULT_POLICY, late, NEW_RULE);
    expect(after.nextDeadline!.dueAt).toBe(new Date(late.getTime() + minutes(15)).toISOString());
  });

  it('under the rule incidents before 0.3.0 replay with, stops paging at the top', () => {
    let state = opened();
    const targets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const deadline = state.nextDeadline;
      if (!deadline) break;
      const result = escalateForMissedDeadline(state, deadline, DEFAULT_POLICY, new Date(deadline.dueAt), { legacy: true });
      state = result.state;
      if (result.escalation) targets.push(result.escalation.target);
    }
    expect(targets).toEqual(['ir_manager', 'ciso', 'external_assistance']);
    expect(state.nextDeadline).toBeUndefined();
    expect(state.escalations[0]).not.toHaveProperty('page');
  });

  it('uses the repeat interval of the incident’s severity', () => {
    const low = openIncident({ incidentId: 'i', dedupKey: 'k', title: 't', source: 's', severity: 'low' }, DEFAULT_POLICY, t0);
    const { state } = escalateForMissedDeadline(low, low.nextDeadline!, DEFAULT_POLICY, at(hours(24)), NEW_RULE);
    expect(state.nextDeadline).toEqual({ kind: 'acknowledge', dueAt: at(hours(48)).toISOString() });
  });
});

describe('a stage SLA', () => {
  const inResponse = () => {
    const state = acknowledge(opened(), alice, DEFAULT_POLICY, at(minutes(1)));
    return armStageDeadlines(assess(state, { severity: 'critical', category: 'malware', strategy: 'contain_first', externalAssistance: false }, alice, DEFAULT_POLICY, at(minutes(2))), DEFAULT_POLICY);
  };

  it('runs containment and forensics SLAs from the start of the response, each from the policy table', () => {
    expect(inResponse().stageDeadlines).toEqual([
      { kind: 'contain', dueAt: at(minutes(2) + DEFAULT_POLICY.critical.deadlines.contain).toISOString() },
      { kind: 'forensics', dueAt: at(minutes(2) + DEFAULT_POLICY.critical.deadlines.forensics).toISOString() },
    ]);
  });

  it('missed while the stage runs: one breach, a page, the next one a repeat interval later; finishing the stage stops it without a second breach', () => {
    let state = inResponse();
    const contain = (s: typeof state) => s.stageDeadlines!.find((d) => d.kind === 'contain')!;
    const due = contain(state);
    const first = stageDeadlineMissed(state, due, DEFAULT_POLICY, new Date(due.dueAt));
    expect(contain(first.state).dueAt).toBe(new Date(Date.parse(due.dueAt) + DEFAULT_POLICY.critical.escalationRepeat).toISOString());
    const again = stageDeadlineMissed(first.state, contain(first.state), DEFAULT_POLICY, new Date(Date.parse(due.dueAt) + minutes(15)));
    state = again.state;
    expect([first.escalation?.cause, again.escalation?.cause]).toEqual(['contain', 'contain']);
    expect(state.slaBreaches.filter((b) => b.deadline === 'contain')).toHaveLength(1);
    state = recordContainment(state, [], DEFAULT_POLICY, new Date(Date.parse(due.dueAt) + minutes(20)));
    expect(state.slaBreaches.filter((b) => b.deadline === 'contain')).toHaveLength(1);
    expect(state.stageDeadlines!.map((d) => d.kind)).toEqual(['forensics']);
    state = recordEvidence(state, 3);
    expect(nextStageDeadline(state)).toBeUndefined();
  });
});

describe('closing', () => {
  const inReview = () => {
    let state = acknowledge(opened(), alice, DEFAULT_POLICY, at(minutes(1)));
    state = assess(state, { severity: 'critical', category: 'malware', strategy: 'contain_first', externalAssistance: false }, alice, DEFAULT_POLICY, at(minutes(2)));
    state = resolve(state, 0, DEFAULT_POLICY, at(minutes(30)));
    return recordReview(state, { lessons: 'l', actionItems: [] }, alice, at(hours(2)));
  };

  it('needs external assistance recorded for a SEV1 that reached the top of the chain', () => {
    let state = inReview();
    expect(closeRejection(state, DEFAULT_POLICY)).toBeUndefined();
    for (let i = 0; i < 3; i++) state = escalateManually(state, { reason: 'r' }, alice, DEFAULT_POLICY, at(hours(3))).state;
    expect(closeRejection(state, DEFAULT_POLICY)).toMatch(/record the external assistance engaged/);
    state = engageExternalAssistance(state, { provider: 'IR firm', reference: 'C-1', engagedAt: at(hours(3)).toISOString() }, alice, at(hours(3)));
    expect(closeRejection(state, DEFAULT_POLICY)).toBeUndefined();
  });

  it('waits for every regulatory filing due', () => {
    const clock = { regime: 'gdpr_art33', stage: 'notification', startsFrom: 'awareness' as const, startedAt: t0.toISOString(), dueAt: at(hours(72)).toISOString(), lateNeedsReason: true, remindAt: [], remindersSent: 0, missed: false };
    const state = startClocks(inReview(), [clock]);
    expect(closeRejection(state, DEFAULT_POLICY)).toMatch(/regulatory filings still due: gdpr_art33 notification/);
  });
});
