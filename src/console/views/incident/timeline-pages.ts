/**
 * The timeline comes a page at a time (GET …/timeline, oldest first, with a cursor). When the
 * incident changes, the page re-reads it from its start as far as the person had loaded it, rather
 * than going back to the first page: the pages shown stay shown. When the end had been shown, it
 * reads on to the new end, so what is new appears at the bottom; otherwise what is new waits
 * behind "More of the timeline" as before. Re-reading from the start (not appending from the last
 * cursor) is what lets the API check again that the items shown are the ones it holds; and past
 * the end the API gives no cursor to append from.
 */

export interface TimelinePageLike<I> {
  items: I[];
  nextCursor: string | null;
  verification: { valid: boolean; problems: Array<{ reason: string }> };
}

/** An answer as api.ts gives it (ApiResult), named by its shape so this module needs no browser. */
export type PageAnswer<P> = { ok: true; body: P } | { ok: false };

/** At most this many requests for one re-read (with 1,000 items a page: 50,000 items). */
const MAX_PAGES = 50;

/**
 * The timeline again from its start: at least `shown.count` items, and on to the end when the end
 * was shown (`shown.complete`). Pages of `pageSize`, or bigger up to `maxPage` to catch up with
 * what was shown in fewer requests. The answer is one page holding every item read, with the
 * cursor after the last; the first refusal is the answer when any page is refused.
 */
export async function rereadTimeline<I, P extends TimelinePageLike<I>, A extends PageAnswer<P>>(
  fetchPage: (cursor: string | undefined, limit: number) => Promise<A>,
  shown: { count: number; complete: boolean },
  pageSize: number,
  maxPage: number,
): Promise<A> {
  let cursor: string | undefined;
  const items: I[] = [];
  const problems: Array<{ reason: string }> = [];
  let last: (A & { ok: true }) | undefined;
  for (let n = 0; n < MAX_PAGES; n += 1) {
    const limit = Math.min(maxPage, Math.max(pageSize, shown.count - items.length));
    const answer = await fetchPage(cursor, limit);
    if (!answer.ok) return answer;
    last = answer as A & { ok: true };
    items.push(...answer.body.items);
    problems.push(...answer.body.verification.problems);
    if (answer.body.nextCursor === null) break;
    cursor = answer.body.nextCursor;
    if (items.length >= shown.count && !shown.complete) break;
  }
  return { ...last!, body: { ...last!.body, items, verification: { valid: problems.length === 0, problems } } } as A;
}
