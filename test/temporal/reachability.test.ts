import { freePort } from '../../src/net';
import { TemporalReachability, TemporalUnreachableError } from '../../src/temporal/reachability';
import { testEnv } from '../support/servers';
import { silentListener } from '../support/silent-listener';

describe('watching whether Temporal answers', () => {
  const watches: TemporalReachability[] = [];
  const watch = (address: string) => {
    const w = TemporalReachability.watch(address, { intervalMs: 60_000 });
    watches.push(w);
    return w;
  };
  afterAll(async () => {
    await Promise.all(watches.map((w) => w.close()));
  });

  it('finds the running server reachable', async () => {
    const w = watch(testEnv('temporalAddress'));
    await w.probe();
    expect(w.reachable).toBe(true);
    expect(() => w.assertReachable()).not.toThrow();
  });

  it('marks an address where nothing listens unreachable, and says since when', async () => {
    const w = watch(`127.0.0.1:${await freePort()}`);
    const before = Date.now();
    await w.probe();
    expect(w.reachable).toBe(false);
    let thrown: unknown;
    try {
      w.assertReachable();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TemporalUnreachableError);
    expect((thrown as TemporalUnreachableError).since.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(w.downSince).toEqual((thrown as TemporalUnreachableError).since);
  });

  it('does not take a server that accepts but never answers for a dead one', async () => {
    // A listener that holds every connection open and says nothing: the probe runs out of time.
    const silent = await silentListener();
    try {
      const w = TemporalReachability.watch(silent.address, { intervalMs: 60_000, timeoutMs: 300 });
      watches.push(w);
      await w.probe();
      expect(w.reachable).toBe(true);
    } finally {
      silent.close();
    }
  });
});
