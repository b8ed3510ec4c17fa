import { hours, minutes } from '../../src/domain/duration';
import {
  acknowledge,
  acknowledgeRejection,
  assess,
  closeRejection,
  engageExternalAssistance,
  escalateManually,
  recordReview,
  resolve,
  startClocks,
  escalateForMissedDeadline,
  openIncident,
  recordAlert,
  RECENT_ALERTS_KEPT,
  type AlertSummary,
} from '../../src/domain/incident';
import { DEFAULT_POLICY } from '../../src/domain/policy';
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
  it('records one SLA breach and climbs the chain one level per miss, one repeat interval apart', () => {
    let state = opened();
    const targets: string[] = [];
    for (let i = 0; i < 5; i++) {
      const deadline = state.nextDeadline;
      if (!deadline) break;
      const result = escalateForMissedDeadline(state, deadline, DEFAULT_POLICY, new Date(deadline.dueAt));
      state = result.state;
      if (result.escalation) targets.push(`${result.escalation.target}@${(Date.parse(result.escalation.at) - t0.getTime()) / minutes(1)}m`);
    }
    expect(targets).toEqual(['ir_manager@15m', 'ciso@30m', 'external_assistance@45m']);
    expect(state.slaBreaches).toEqual([{ deadline: 'acknowledge', phase: 'detected', dueAt: at(minutes(15)).toISOString(), detectedAt: at(minutes(15)).toISOString() }]);
    expect(state.nextDeadline).toBeUndefined();
  });

  it('uses the repeat interval of the incident’s severity', () => {
    const low = openIncident({ incidentId: 'i', dedupKey: 'k', title: 't', source: 's', severity: 'low' }, DEFAULT_POLICY, t0);
    const { state } = escalateForMissedDeadline(low, low.nextDeadline!, DEFAULT_POLICY, at(hours(24)));
    expect(state.nextDeadline).toEqual({ kind: 'acknowledge', dueAt: at(hours(48)).toISOString() });
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
    for (let i = 0; i < 3; i++) state = escalateManually(state, { reason: 'r' }, alice, at(hours(3))).state;
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
