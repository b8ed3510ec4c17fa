import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { GroupedConsumer, shareOfGroup } from '../../src/api/rate-limit';

/** A key's requests of one turn consume together; each must get what consuming alone, in turn, would have given it. */
describe('shareOfGroup', () => {
  const answers = (limit: number, countAfter: number, size: number) =>
    Array.from({ length: size }, (_, position) => {
      const share = shareOfGroup(limit, new RateLimiterRes(0, 42_000, countAfter), size, position);
      return 'refused' in share ? { refused: share.res.consumedPoints } : { left: share.remainingPoints, consumed: share.consumedPoints, ms: share.msBeforeNext };
    });

  it('gives the budget to the group in arrival order and refuses the rest', () => {
    // A fresh window of 3: five requests at once.
    expect(answers(3, 5, 5)).toEqual([
      { left: 2, consumed: 1, ms: 42_000 },
      { left: 1, consumed: 2, ms: 42_000 },
      { left: 0, consumed: 3, ms: 42_000 },
      { refused: 4 },
      { refused: 5 },
    ]);
  });

  it('starts where the window already stood', () => {
    // 8 of 10 spent before: of three more, two pass.
    expect(answers(10, 11, 3)).toEqual([{ left: 1, consumed: 9, ms: 42_000 }, { left: 0, consumed: 10, ms: 42_000 }, { refused: 11 }]);
    // Spent already: all refused, as each alone would be.
    expect(answers(10, 14, 2)).toEqual([{ refused: 13 }, { refused: 14 }]);
  });

  it('answers a group of one as a consume of one', () => {
    expect(answers(600, 1, 1)).toEqual([{ left: 599, consumed: 1, ms: 42_000 }]);
  });
});

/** The grouping itself, on rate-limiter-flexible's in-memory limiter (the insurance every shared limiter has). */
describe('GroupedConsumer', () => {
  const outcome = (c: Awaited<ReturnType<GroupedConsumer['consume']>>) => ('refused' in c ? 'refused' : c.remainingPoints);

  it('counts one turn of requests as one consume per key, answering each in arrival order', async () => {
    const limiter = new RateLimiterMemory({ points: 3, duration: 60 });
    const calls: Array<[string, number]> = [];
    const consume = limiter.consume.bind(limiter);
    limiter.consume = (key, points) => {
      calls.push([String(key), points ?? 1]);
      return consume(key, points);
    };
    const grouped = new GroupedConsumer(limiter, 3);
    const answers = await Promise.all(['a', 'b', 'a', 'a', 'a', 'b'].map((key) => grouped.consume(key)));
    expect(answers.map(outcome)).toEqual([2, 2, 1, 0, 'refused', 1]);
    expect(calls).toEqual([
      ['a', 4],
      ['b', 2],
    ]);
    // The next turn goes on from the stored count.
    expect(outcome(await grouped.consume('b'))).toBe(0);
    expect(outcome(await grouped.consume('b'))).toBe('refused');
  });

  it("fails a key's own requests when its store fails, and answers the other keys of the turn", async () => {
    const limiter = new RateLimiterMemory({ points: 10, duration: 60 });
    const consume = limiter.consume.bind(limiter);
    limiter.consume = (key, points) => (key === 'broken' ? Promise.reject(new Error('store unreachable')) : consume(key, points));
    const grouped = new GroupedConsumer(limiter, 10);
    const settled = await Promise.allSettled(['ok', 'broken', 'ok', 'broken'].map((key) => grouped.consume(key)));
    expect(settled.map((s) => (s.status === 'fulfilled' ? outcome(s.value) : (s.reason as Error).message))).toEqual([9, 'store unreachable', 8, 'store unreachable']);
  });
});
