import { DEFAULT_STICKY_TIMEOUT_MS, stickyTimeoutFromEnvironment } from '../../src/worker/sticky-timeout';

describe('the sticky time-out setting', () => {
  it('is 3 s unless FIREBREAK_STICKY_TIMEOUT_MS says otherwise', () => {
    expect(DEFAULT_STICKY_TIMEOUT_MS).toBe(3_000);
    expect(stickyTimeoutFromEnvironment({})).toBe(3_000);
    expect(stickyTimeoutFromEnvironment({ FIREBREAK_STICKY_TIMEOUT_MS: '' })).toBe(3_000);
    expect(stickyTimeoutFromEnvironment({ FIREBREAK_STICKY_TIMEOUT_MS: '10000' })).toBe(10_000);
  });

  it('refuses anything but whole milliseconds of at least a second, naming the variable', () => {
    for (const bad of ['999', '0', '-3000', '2500.5', '3s', 'soon']) {
      expect(() => stickyTimeoutFromEnvironment({ FIREBREAK_STICKY_TIMEOUT_MS: bad })).toThrow(/^FIREBREAK_STICKY_TIMEOUT_MS: .*not /);
    }
  });
});
