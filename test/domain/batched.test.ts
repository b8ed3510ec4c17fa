import { Batched } from '../../src/batched';

/** Intake's shared lookups and inserts, and the per-key rate limits: the calls made while the event loop is busy go as one. */
describe('Batched', () => {
  it('runs the calls of one turn as one batch, answering each its own result', async () => {
    const runs: number[][] = [];
    const batched = new Batched<number, number>(async (xs) => {
      runs.push(xs);
      return xs.map((x) => x * 10);
    });
    const answers = await Promise.all([1, 2, 3].map((x) => batched.add(x)));
    expect(answers).toEqual([10, 20, 30]);
    expect(runs).toEqual([[1, 2, 3]]);
  });

  it('fails every call of a failed batch, and runs the next batch after it', async () => {
    let fail = true;
    const batched = new Batched<number, number>(async (xs) => {
      if (fail) throw new Error('connection lost');
      return xs;
    });
    const failed = await Promise.allSettled([batched.add(1), batched.add(2)]);
    expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(batched.add(3)).resolves.toBe(3);
  });

  it('runs at most maxInFlight batches at once; calls made meanwhile wait and go together', async () => {
    const releases: Array<() => void> = [];
    const runs: number[][] = [];
    let running = 0;
    let most = 0;
    const batched = new Batched<number, number>(
      (xs) =>
        new Promise((resolve) => {
          runs.push(xs);
          running += 1;
          most = Math.max(most, running);
          releases.push(() => {
            running -= 1;
            resolve(xs);
          });
        }),
      2,
      1,
    );
    const first = [batched.add(1), batched.add(2), batched.add(3)];
    await new Promise((r) => setImmediate(r));
    const later = [batched.add(4), batched.add(5)];
    await new Promise((r) => setImmediate(r));
    // One batch in flight (at most 2 calls each); the rest wait for it.
    expect(runs).toEqual([[1, 2]]);
    // Each release lets the next batch start.
    for (let batch = 0; batch < 3; batch++) {
      releases.shift()!();
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all([...first, ...later])).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(1);
    expect(runs).toEqual([[1, 2], [3, 4], [5]]);
  });
});
