import { coalescing } from '../../src/console/views/incident/refetch';

describe('following the event stream', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('refetches at the first change, and once more for the changes of the next 200 ms', () => {
    const run = jest.fn();
    const refetch = coalescing(run, 200);
    refetch.trigger();
    expect(run).toHaveBeenCalledTimes(1);
    refetch.trigger();
    refetch.trigger();
    jest.advanceTimersByTime(199);
    expect(run).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(2);
    jest.advanceTimersByTime(1_000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('a steady stream of changes is refetched every window, never postponed', () => {
    const run = jest.fn();
    const refetch = coalescing(run, 200);
    for (let ms = 0; ms < 2_000; ms += 50) {
      refetch.trigger();
      jest.advanceTimersByTime(50);
    }
    // at 0 ms, then at the end of each 200 ms window that saw changes
    expect(run.mock.calls.length).toBeGreaterThanOrEqual(10);
    expect(run.mock.calls.length).toBeLessThanOrEqual(11);
  });

  it('a quiet stream refetches at once again, and nothing after cancel', () => {
    const run = jest.fn();
    const refetch = coalescing(run, 200);
    refetch.trigger();
    jest.advanceTimersByTime(500);
    refetch.trigger();
    expect(run).toHaveBeenCalledTimes(2);
    refetch.trigger();
    refetch.cancel();
    jest.advanceTimersByTime(500);
    expect(run).toHaveBeenCalledTimes(2);
  });
});
