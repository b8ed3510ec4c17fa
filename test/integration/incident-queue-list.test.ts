import { DEFAULT_POLICY, type PolicyTable } from '../../src/domain/policy';
import { compareQueuePositions, escalatesAt, isOverdue } from '../../src/domain/queue-order';
import type { IncidentState } from '../../src/domain/incident';
import { waitFor } from '../../src/net';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/**
 * GET /v1/incidents as the console's queue asks it: open incidents only, overdue first, then by the
 * soonest escalation, one cursor across pages, each row with its deadline and (include=state) its state.
 */

// A low-severity incident's acknowledgement falls due 1.5 s after it opens; the next page a minute later.
const policy: PolicyTable = {
  ...DEFAULT_POLICY,
  low: { ...DEFAULT_POLICY.low, deadlines: { ...DEFAULT_POLICY.low.deadlines, acknowledge: 1_500 }, escalationRepeat: 60_000 },
};

interface Item {
  incidentId: string;
  title: string;
  phase: string;
  severity: string;
  overdue: boolean;
  escalatesAt: string | null;
  nextDeadline: { kind: string; dueAt: string } | null;
  version: number;
  state?: IncidentState;
}

describe('the incident list in the queue’s order', () => {
  let stack: TestStack;
  const source = uniqueKey('queue').replace(/[^a-z0-9-]/gi, '').slice(0, 60).toLowerCase();
  const ids: Record<string, string> = {};

  const list = (query: string, role: 'auditor' | 'responder' | 'manager' = 'auditor') =>
    stack.request('GET', `/v1/incidents?source=${source}&${query}`, { key: stack.keys[role] });
  const titles = (items: Item[]) => items.map((i) => i.title);
  const alert = async (title: string, severity: string) => {
    const res = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source, sourceRef: title.replace(/ /g, '-'), title, severity, dedupKey: `${source}-${title.replace(/ /g, '-')}` },
    });
    if (res.status !== 202) throw new Error(`alert answered ${res.status}: ${JSON.stringify(res.body)}`);
    ids[title] = res.body.incidentId;
    return res.body.incidentId as string;
  };
  const decide = async (id: string, route: string, body: unknown) => {
    const res = await stack.request('POST', `/v1/incidents/${id}/${route}`, { key: stack.keys.manager, body });
    if (res.status !== 200) throw new Error(`${route} answered ${res.status}: ${JSON.stringify(res.body)}`);
  };
  /** The read model's row of an incident, once it has reached `phase` (and `check` holds). */
  const settled = (title: string, check: (item: Item) => boolean) =>
    waitFor(`${title} in the read model`, async () => {
      const page = await list('limit=200&include=state');
      const item = (page.body.items as Item[]).find((i) => i.incidentId === ids[title]);
      if (!item || !check(item)) throw new Error(`${title}: ${JSON.stringify(item?.phase)}`);
    }, 20_000, 100);

  beforeAll(async () => {
    stack = await startTestStack({ policy });
    await alert('critical detected', 'critical'); // acknowledge due in 15 min
    await alert('high detected', 'high'); // due in 30 min
    const medium = await alert('medium with a late GDPR clock', 'medium'); // acknowledge due in 4 h, but its 72 h clock ran out
    await decide(medium, 'regimes', { regime: 'gdpr_art33', startedAt: new Date(Date.now() - 4 * 86_400_000).toISOString() });
    await alert('low missed acknowledgement', 'low'); // breached after 1.5 s, next page a minute later
    const triage = await alert('high in triage', 'high');
    await decide(triage, 'acknowledge', {}); // assessment due in 4 h
    const dismissed = await alert('dismissed', 'medium');
    await decide(dismissed, 'acknowledge', {});
    await settled('high in triage', (i) => i.phase === 'triage');
    await settled('dismissed', (i) => i.phase === 'triage');
    await decide(dismissed, 'assessment', { severity: 'medium', category: 'false-positive', strategy: 'evidence_first', externalAssistance: false, dismiss: { reason: 'a test' } });
    await settled('dismissed', (i) => i.phase === 'dismissed');
    await settled('medium with a late GDPR clock', (i) => (i.state?.regulatoryClocks ?? []).length > 0);
    await settled('low missed acknowledgement', (i) => (i.state?.slaBreaches ?? []).length > 0);
    for (const title of ['critical detected', 'high detected']) await settled(title, () => true);
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('lists open incidents overdue first, then by the soonest escalation, each with its deadline, version and state', async () => {
    const page = await list('open=true&order=deadline&include=state&limit=25', 'responder');
    expect(page.status).toBe(200);
    const items = page.body.items as Item[];
    // Overdue first (the missed acknowledgement by its breach, the other by its regulator's clock),
    // then by the soonest escalation.
    expect(titles(items.slice(0, 2)).sort()).toEqual(['low missed acknowledgement', 'medium with a late GDPR clock']);
    expect(titles(items.slice(2))).toEqual(['critical detected', 'high detected', 'high in triage']);
    expect(items.map((i) => i.overdue)).toEqual([true, true, false, false, false]);
    expect(page.body.nextCursor).toBeNull();

    const low = items.find((i) => i.title === 'low missed acknowledgement')!;
    // After the miss, the awaited deadline moved on to the next page's time: overdue by its breach.
    expect(low.nextDeadline?.kind).toBe('acknowledge');
    expect(Date.parse(low.nextDeadline!.dueAt)).toBeGreaterThan(Date.now());
    expect(items[2]!.nextDeadline).toEqual(items[2]!.state!.nextDeadline);
    expect(items[4]!.nextDeadline?.kind).toBe('assess');
    const now = new Date();
    for (const item of items) {
      expect(item.state?.incidentId).toBe(item.incidentId);
      expect(item.version).toBe(item.state!.version);
      // The SQL states the domain's rule.
      expect(item.overdue).toBe(isOverdue(item.state!, now));
      expect(item.escalatesAt).toBe(escalatesAt(item.state!) ?? null);
    }
    const positions = items.map((i) => ({ overdue: i.overdue, escalatesAt: i.escalatesAt, incidentId: i.incidentId }));
    expect([...positions].sort(compareQueuePositions)).toEqual(positions);
  });

  it('filters overdue, open and a phase within open', async () => {
    const overdue = await list('overdue=true&order=deadline');
    expect(titles(overdue.body.items).sort()).toEqual(['low missed acknowledgement', 'medium with a late GDPR clock']);
    const all = await list('limit=200');
    expect(titles(all.body.items)).toContain('dismissed');
    const open = await list('open=true&limit=200');
    expect(titles(open.body.items)).not.toContain('dismissed');
    expect(open.body.items).toHaveLength(5);
    // Without include=state the rows carry no state; the default order stays newest first.
    expect(open.body.items.every((i: Item) => i.state === undefined)).toBe(true);
    const opened = open.body.items.map((i: { openedAt: string }) => Date.parse(i.openedAt));
    expect([...opened].sort((a, b) => b - a)).toEqual(opened);
    const triage = await list('open=true&status=triage&order=deadline');
    expect(titles(triage.body.items)).toEqual(['high in triage']);
  });

  it('refuses open=true with a closed phase, naming status', async () => {
    const res = await list('open=true&status=dismissed');
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['status']);
    const bad = await list('open=yes');
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['open']);
  });

  it('pages the queue order with its own cursor, the same rows as one page', async () => {
    const whole = (await list('open=true&order=deadline&limit=200')).body.items as Item[];
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`open=true&order=deadline&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...titles(page.body.items));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(titles(whole));

    // Overdue only, paged one by one.
    const first = await list('overdue=true&order=deadline&limit=1');
    const second = await list(`overdue=true&order=deadline&limit=1&cursor=${first.body.nextCursor}`);
    expect([...titles(first.body.items), ...titles(second.body.items)].sort()).toEqual(['low missed acknowledgement', 'medium with a late GDPR clock']);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers a cursor of the other order, or a forged one, with a 400 naming cursor', async () => {
    const byDeadline = await list('open=true&order=deadline&limit=1');
    const byOpened = await list('open=true&limit=1');
    const forged = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');
    const bad = [
      `order=deadline&cursor=${byOpened.body.nextCursor}`,
      `cursor=${byDeadline.body.nextCursor}`,
      `order=deadline&cursor=${forged(['deadline', '2026-01-01T00:00:00.000Z', 'yes', null, '0123456789abcdef'])}`,
      `order=deadline&cursor=${forged(['deadline', '2026-01-01T00:00:00.000Z', true, '2026-02-30T00:00:00.000Z', '0123456789abcdef'])}`,
      `order=deadline&cursor=${forged(['opened', '2026-01-01T00:00:00.000Z', true, null, '0123456789abcdef'])}`,
      `order=deadline&cursor=${forged(['deadline', '2026-01-01T00:00:00.000Z', true, null, "0' OR 1=1"])}`,
    ];
    for (const query of bad) {
      const res = await list(query);
      expect([query, res.status]).toEqual([query, 400]);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['cursor']);
    }
    // A well-formed cursor with no overdue part still pages: the last non-overdue row, nothing after it.
    const last = (await list('open=true&order=deadline&limit=200')).body.items.at(-1) as Item;
    const after = await list(`order=deadline&open=true&cursor=${forged(['deadline', new Date().toISOString(), false, last.escalatesAt, last.incidentId])}`);
    expect(after.status).toBe(200);
    expect(after.body.items).toEqual([]);
  });
});
