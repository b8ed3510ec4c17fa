import { DEFAULT_ESCALATION_CHAIN, nextEscalationStep, type EscalationChain } from '../../src/domain/escalation';
import { DEFAULT_POLICY } from '../../src/domain/policy';
import { policyFrom } from '../../src/domain/policy-schema';

/** Follows the chain for `n` misses from the first page (level 0). */
function walk(chain: EscalationChain, n: number): string[] {
  let position = { level: 0, loop: 0 };
  const pages: string[] = [];
  for (let i = 0; i < n; i++) {
    const step = nextEscalationStep(chain, position);
    position = step;
    pages.push(`${step.targets.join('+')}${step.repeatAtTop ? ' (repeat)' : ''}`);
  }
  return pages;
}

describe('the escalation chain', () => {
  it('climbs one level per miss and, once at the top, repeats the top instead of going silent', () => {
    expect(walk(DEFAULT_ESCALATION_CHAIN, 5)).toEqual(['ir_manager', 'ciso', 'external_assistance', 'external_assistance (repeat)', 'external_assistance (repeat)']);
  });

  it('walks the whole chain again for each loop before it repeats the top (PagerDuty num_loops)', () => {
    const chain: EscalationChain = { levels: [['on_call'], ['ir_manager', 'ciso']], loops: 2 };
    expect(walk(chain, 6)).toEqual(['ir_manager+ciso', 'on_call', 'ir_manager+ciso', 'on_call', 'ir_manager+ciso', 'ir_manager+ciso (repeat)']);
  });

  it('treats a level past a shorter chain’s top (the severity was lowered) as the top', () => {
    const short: EscalationChain = { levels: [['on_call'], ['ir_manager']], loops: 0 };
    expect(nextEscalationStep(short, { level: 3, loop: 0 })).toEqual({ level: 1, loop: 0, targets: ['ir_manager'], repeatAtTop: true });
  });

  it('is the default for every severity, and for incidents whose policy predates configurable chains', () => {
    for (const severity of ['critical', 'high', 'medium', 'low'] as const) expect(DEFAULT_POLICY[severity].escalation).toEqual(DEFAULT_ESCALATION_CHAIN);
  });
});

describe('a chain in the policy file', () => {
  it('takes levels of one target or several, loops, and the repeat interval per severity', () => {
    const table = policyFrom({ high: { escalation: { levels: ['on_call', ['ir_manager', 'ciso']], loops: 1 }, escalationRepeat: '20m' } });
    expect(table.high.escalation).toEqual({ levels: [['on_call'], ['ir_manager', 'ciso']], loops: 1 });
    expect(table.high.escalationRepeat).toBe(20 * 60_000);
    expect(table.critical.escalation).toEqual(DEFAULT_ESCALATION_CHAIN);
  });

  it('defaults loops to 0', () => {
    expect(policyFrom({ low: { escalation: { levels: ['on_call', 'ciso'] } } }).low.escalation).toEqual({ levels: [['on_call'], ['ciso']], loops: 0 });
  });

  it.each([
    [{ critical: { escalation: { levels: ['on_call'] } } }, 'critical.escalation.levels: a chain needs at least two levels'],
    [{ critical: { escalation: { levels: ['on_call', 'janitor'] } } }, 'critical.escalation.levels.1'],
    [{ critical: { escalation: { levels: ['on_call', ['ciso', 'ciso']] } } }, 'level 1 names a target twice'],
    [{ critical: { escalation: { levels: ['on_call', 'ciso'], loops: -1 } } }, 'critical.escalation.loops'],
    [{ critical: { escalation: { levels: ['on_call', 'ciso'], num_loops: 1 } } }, 'critical.escalation'],
    [{ critical: { escalation: { levels: ['on_call', []] } } }, 'critical.escalation.levels.1'],
  ])('refuses %j at start, naming %s', (file, named) => {
    expect(() => policyFrom(file)).toThrow(named);
  });
});
