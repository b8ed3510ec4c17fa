import { rereadTimeline, type TimelinePageLike } from '../../src/console/views/incident/timeline-pages';

type Page = TimelinePageLike<string>;
/** As the console's api.ts answers. */
type ApiResult<P> = { ok: true; status: number; body: P; headers: Headers } | { ok: false; status: number; problem: { title: string; status: number } };

/** The API's paging over a timeline that grows: oldest first, a cursor after each page but the last. */
function timelineServer(items: string[]) {
  const asked: Array<{ cursor: string | undefined; limit: number }> = [];
  const fetchPage = async (cursor: string | undefined, limit: number): Promise<ApiResult<Page>> => {
    asked.push({ cursor, limit });
    const start = cursor ? Number(cursor.slice(1)) : 0;
    const shown = items.slice(start, start + limit);
    const end = start + shown.length;
    return { ok: true, status: 200, headers: new Headers(), body: { items: shown, nextCursor: end < items.length ? `p${end}` : null, verification: { valid: true, problems: [] } } };
  };
  return { fetchPage, asked };
}

const numbered = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `event ${from + i}`);

describe('the timeline read again after a change keeps the pages the person loaded', () => {
  it('someone who loaded three pages of 200 still sees 600 items, read in one request, with the cursor to the rest', async () => {
    const server = timelineServer(numbered(1_000));
    const answer = await rereadTimeline(server.fetchPage, { count: 600, complete: false }, 200, 1_000);
    expect(answer.ok).toBe(true);
    if (!answer.ok) return;
    expect(answer.body.items).toEqual(numbered(600));
    expect(answer.body.nextCursor).toBe('p600');
    expect(server.asked).toEqual([{ cursor: undefined, limit: 600 }]);
  });

  it('someone who had reached the end sees what is new at the bottom', async () => {
    const items = numbered(250);
    const server = timelineServer(items);
    items.push('event 250', 'event 251');
    const answer = await rereadTimeline(server.fetchPage, { count: 250, complete: true }, 200, 1_000);
    if (!answer.ok) throw new Error('refused');
    expect(answer.body.items).toEqual(numbered(252));
    expect(answer.body.nextCursor).toBeNull();
  });

  it('reaches the end even when the new items fill another page', async () => {
    const items = numbered(200);
    const server = timelineServer(items);
    items.push(...numbered(300, 200));
    const answer = await rereadTimeline(server.fetchPage, { count: 200, complete: true }, 200, 1_000);
    if (!answer.ok) throw new Error('refused');
    expect(answer.body.items).toHaveLength(500);
    expect(server.asked.map((a) => a.cursor)).toEqual([undefined, 'p200', 'p400']);
  });

  it('someone who had not reached the end is not handed what is new beyond the pages shown', async () => {
    const items = numbered(300);
    const server = timelineServer(items);
    items.push('event 300');
    const answer = await rereadTimeline(server.fetchPage, { count: 200, complete: false }, 200, 1_000);
    if (!answer.ok) throw new Error('refused');
    expect(answer.body.items).toEqual(numbered(200));
    expect(answer.body.nextCursor).toBe('p200');
  });

  it('more than the API gives at once is read in pages of its maximum', async () => {
    const server = timelineServer(numbered(2_500));
    const answer = await rereadTimeline(server.fetchPage, { count: 2_200, complete: false }, 200, 1_000);
    if (!answer.ok) throw new Error('refused');
    expect(answer.body.items).toHaveLength(2_200);
    expect(server.asked.map((a) => a.limit)).toEqual([1_000, 1_000, 200]);
  });

  it('a refused page is the answer, so the timeline shown stays as it was', async () => {
    const server = timelineServer(numbered(500));
    let calls = 0;
    const refusing = async (cursor: string | undefined, limit: number): Promise<ApiResult<Page>> =>
      ++calls === 2 ? { ok: false, status: 503, problem: { title: 'Service unavailable', status: 503 } } : server.fetchPage(cursor, limit);
    const answer = await rereadTimeline(refusing, { count: 100, complete: true }, 200, 1_000);
    expect(answer).toEqual({ ok: false, status: 503, problem: { title: 'Service unavailable', status: 503 } });
  });
});
