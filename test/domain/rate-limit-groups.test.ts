import { RateLimiterRes } from 'rate-limiter-flexible';
import { shareOfGroup } from '../../src/api/rate-limit';

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
