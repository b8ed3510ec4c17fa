import { writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { days, hours, minutes } from '../../src/domain/duration';
import { DEFAULT_ESCALATION_CHAIN, targetsAt } from '../../src/domain/escalation';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { policyFrom, regulatoryFrom } from '../../src/domain/policy-schema';
import { loadPolicy } from '../../src/policy-file';

describe('the policy table', () => {
  it('gives SEV1 the tightest deadlines and pre-approves its containment', () => {
    expect(DEFAULT_POLICY.critical.deadlines.acknowledge).toBe(minutes(15));
    expect(DEFAULT_POLICY.critical.preApprovedContainment).toBe(true);
    expect(DEFAULT_POLICY.high.preApprovedContainment).toBe(false);
    for (const kind of Object.keys(DEFAULT_POLICY.critical.deadlines) as (keyof typeof DEFAULT_POLICY.critical.deadlines)[]) {
      expect(DEFAULT_POLICY.critical.deadlines[kind]).toBeLessThanOrEqual(DEFAULT_POLICY.high.deadlines[kind]);
      expect(DEFAULT_POLICY.high.deadlines[kind]).toBeLessThanOrEqual(DEFAULT_POLICY.medium.deadlines[kind]);
      expect(DEFAULT_POLICY.medium.deadlines[kind]).toBeLessThanOrEqual(DEFAULT_POLICY.low.deadlines[kind]);
    }
  });

  it('names the escalation chain in order', () => {
    expect([0, 1, 2, 3].map((level) => targetsAt(DEFAULT_ESCALATION_CHAIN, level)[0])).toEqual(['on_call', 'ir_manager', 'ciso', 'external_assistance']);
  });
});

describe('a policy file', () => {
  it('overrides only what it names, with duration strings or milliseconds', () => {
    const table = policyFrom({ critical: { deadlines: { acknowledge: '10m', review: 3 * 86_400_000 }, escalationRepeat: '5m' }, low: { reviewRequired: true } });
    expect(table.critical.deadlines).toMatchObject({ acknowledge: minutes(10), review: days(3), assess: hours(1) });
    expect(table.critical.escalationRepeat).toBe(minutes(5));
    expect(table.critical.preApprovedContainment).toBe(true);
    expect(table.low.reviewRequired).toBe(true);
    expect(DEFAULT_POLICY.critical.deadlines.acknowledge).toBe(minutes(15)); // the default is untouched
  });

  it.each([
    [{ critical: { deadlines: { acknowledge: 'soon' } } }, 'critical.deadlines.acknowledge'],
    [{ critical: { deadlines: { acknowledge: '10ms' } } }, 'critical.deadlines.acknowledge'],
    [{ critical: { deadlines: { acknowlege: '10m' } } }, 'critical.deadlines'],
    [{ urgent: {} }, '(file)'],
    [{ high: { preApprovedContainment: 'yes' } }, 'high.preApprovedContainment'],
  ])('rejects %j naming %s', (file, where) => {
    expect(() => policyFrom(file)).toThrow(new RegExp(`invalid policy: .*${where.replace(/[().]/g, '\\$&')}`));
  });

  it('is read from FIREBREAK_POLICY_FILE, and a broken file names itself', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'policy-'));
    const good = path.join(dir, 'policy.json');
    writeFileSync(good, JSON.stringify({ medium: { deadlines: { acknowledge: '1h' } } }));
    expect(loadPolicy({ FIREBREAK_POLICY_FILE: good }).medium.deadlines.acknowledge).toBe(hours(1));
    expect(loadPolicy({})).toBe(DEFAULT_POLICY);
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, '{"medium": ');
    expect(() => loadPolicy({ FIREBREAK_POLICY_FILE: bad })).toThrow(/FIREBREAK_POLICY_FILE .*bad\.json/);
  });
});

describe('the escalation chain in a policy file', () => {
  it('takes levels of one target or several, loops and the repeat interval, as the README shows', () => {
    const table = policyFrom({ critical: { escalation: { levels: ['on_call', 'ir_manager', ['ciso', 'ir_manager'], 'external_assistance'], loops: 1 }, escalationRepeat: '15m' } });
    expect(table.critical.escalation).toEqual({ levels: [['on_call'], ['ir_manager'], ['ciso', 'ir_manager'], ['external_assistance']], loops: 1 });
    expect(table.critical.escalationRepeat).toBe(minutes(15));
    expect(policyFrom({ high: { escalation: { levels: ['on_call', 'ciso'] } } }).high.escalation?.loops).toBe(0);
    expect(table.high.escalation).toEqual(DEFAULT_POLICY.high.escalation); // untouched severities keep the default chain
  });

  it.each([
    [{ critical: { escalation: { levels: ['on_call'] } } }, 'critical.escalation.levels', /at least two levels/],
    [{ critical: { escalation: { levels: ['on_call', 'security_guard'] } } }, 'critical.escalation.levels.1', /./],
    [{ critical: { escalation: { levels: ['on_call', ['ciso', 'ciso']] } } }, 'critical.escalation.levels', /names a target twice/],
    [{ critical: { escalation: { levels: ['on_call', 'ciso'], loops: 10 } } }, 'critical.escalation.loops', /./],
    [{ critical: { escalation: { levels: ['on_call', 'ciso'], num_loops: 1 } } }, 'critical.escalation', /./],
  ])('rejects %j naming %s', (file, where, why) => {
    expect(() => policyFrom(file)).toThrow(new RegExp(`invalid policy: .*${where.replace(/\./g, '\\.')}`));
    expect(() => policyFrom(file)).toThrow(why);
  });
});

describe('the regulatory section of a policy file', () => {
  it('adds a custom regime and further closures beside the holidays computed by rule', () => {
    const config = regulatoryFrom({
      regulatory: {
        holidays: ['2026-12-24'],
        regimes: {
          dora_major: {
            name: 'DORA major ICT incident report',
            startsFrom: 'awareness',
            timeZone: 'Europe/Brussels',
            stages: [{ stage: 'initial', rule: { hours: 4 } }, { stage: 'intermediate', rule: { hours: 72 } }],
            remindBeforeHours: [1],
          },
        },
      },
    });
    expect(Object.keys(config.regimes)).toEqual(expect.arrayContaining(['gdpr_art33', 'sec_8k_105', 'dora_major']));
    expect(config.regimes.dora_major?.stages.map((s) => s.lateNeedsReason)).toEqual([false, false]);
    expect(config.holidays).toEqual(['2026-12-24']);
    expect(regulatoryFrom({}).holidays).toEqual([]); // Thanksgiving and the rest come from the rule-based calendar
  });

  it.each([
    [{ regulatory: { regimes: { x: { name: 'X', startsFrom: 'lunch', timeZone: 'UTC', stages: [{ stage: 's', rule: { hours: 1 } }] } } } }, 'regulatory.regimes.x.startsFrom'],
    [{ regulatory: { regimes: { x: { name: 'X', startsFrom: 'awareness', timeZone: 'Mars/Base', stages: [{ stage: 's', rule: { hours: 1 } }] } } } }, 'regulatory.regimes.x.timeZone'],
    [{ regulatory: { regimes: { x: { name: 'X', startsFrom: 'awareness', timeZone: 'UTC', stages: [{ stage: 's', rule: { weeks: 1 } }] } } } }, 'regulatory.regimes.x.stages.0.rule'],
    [{ regulatory: { holidays: ['next friday'] } }, 'regulatory.holidays.0'],
  ])('rejects %j naming %s', (file, where) => {
    expect(() => regulatoryFrom(file)).toThrow(new RegExp(where.replace(/\./g, '\\.')));
  });
});
