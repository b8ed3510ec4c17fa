import { Writable } from 'node:stream';
import { Client as PgClient } from 'pg';
import pino from 'pino';
import { LOGGED_REQUEST_HEADERS } from '../../src/logger';
import { waitFor } from '../../src/net';
import { testEnv } from '../support/servers';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/** Every line the API logs, parsed. */
const logLines: Array<Record<string, any>> = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    for (const line of String(chunk).split('\n')) if (line.trim()) logLines.push(JSON.parse(line));
    done();
  },
});

/** Runs SQL as the database's owner (the server's superuser), behind the application's back. */
async function asOwner(stack: TestStack, sql: string): Promise<void> {
  const database = new URL(stack.db.url).pathname.slice(1);
  const owner = new PgClient({ connectionString: testEnv('postgresAdminUrl').replace(/\/postgres$/, `/${database}`) });
  await owner.connect();
  try {
    await owner.query(sql);
  } finally {
    await owner.end();
  }
}

const cursorOf = (parts: unknown) => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('small hardening: one-line fields, forged cursors, logged headers, idempotency records', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ logger: pino({ level: 'info' }, logStream) });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const alert = (overrides: Record<string, unknown> = {}) => ({
    source: 'edr', sourceRef: uniqueKey('hardening'), title: 'Beaconing from web-07', severity: 'medium', dedupKey: uniqueKey('hardening'), ...overrides,
  });
  async function openIncident(): Promise<string> {
    const res = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert() });
    expect(res.status).toBe(202);
    return res.body.incidentId;
  }
  const fieldsOf = (res: { body: { errors?: Array<{ field: string; message: string }> } }) => (res.body.errors ?? []).map((e) => e.field);

  it('refuses CR and LF in one-line fields with a 400 naming the field, and writes nothing', async () => {
    for (const title of ['Disk full\r\nX-Injected: yes', 'Disk full\n', '\rDisk full']) {
      const body = alert({ title });
      const res = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(fieldsOf(res)).toEqual(['title']);
      expect(res.body.errors[0].message).toBe('must be one line of text: no CR, LF or other control characters');
      const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE source_ref = $1', [body.sourceRef]);
      expect(rows[0].n).toBe(0);
    }

    const id = await openIncident();
    const manager = stack.keys.manager;
    const person = await stack.request('PUT', `/v1/incidents/${id}/roles/commander`, { key: manager, body: { person: 'dana\nmallory' } });
    expect(person.status).toBe(400);
    expect(fieldsOf(person)).toEqual(['person']);
    const provider = await stack.request('POST', `/v1/incidents/${id}/external-assistance`, { key: manager, body: { provider: 'Acme\rIR', reference: 'PO-1' } });
    expect(provider.status).toBe(400);
    expect(fieldsOf(provider)).toEqual(['provider']);
    const state = await stack.request('GET', `/v1/incidents/${id}`, { key: manager });
    expect(state.body.roles?.commander).toBeUndefined();
    expect(state.body.externalAssistance ?? []).toHaveLength(0);

    // Multi-line text stays multi-line.
    const note = await stack.request('POST', `/v1/incidents/${id}/notes`, { key: manager, body: { text: 'first line\nsecond line' } });
    expect(note.status).toBe(200);
    expect(note.body.recentNotes.at(-1).text).toBe('first line\nsecond line');

    const key = await stack.request('POST', '/v1/admin/keys', { key: stack.keys.admin, body: { name: 'splunk\r\n', role: 'responder' } });
    expect(key.status).toBe(400);
    expect(fieldsOf(key)).toEqual(['name']);
    const roster = await stack.request('PUT', '/v1/admin/roster/on_call', { key: stack.keys.admin, body: { people: ['dana', 'eve\nmallory'] } });
    expect(roster.status).toBe(400);
    expect(fieldsOf(roster)).toEqual(['people.1']);
    const list = await stack.request('GET', '/v1/incidents?commander=dana%0Aeve', { key: manager });
    expect(list.status).toBe(400);
    expect(fieldsOf(list)).toEqual(['commander']);
  });

  it('answers a forged or damaged cursor with a 400 naming cursor, and follows a real one', async () => {
    await openIncident();
    await openIncident();
    // The read model follows the workflows a moment later.
    const first = await waitFor('a second page', async () => {
      const page = await stack.request('GET', '/v1/incidents?limit=1', { key: stack.keys.auditor });
      if (typeof page.body.nextCursor !== 'string') throw new Error('one page so far');
      return page;
    }, 10_000, 100);
    const second = await stack.request('GET', `/v1/incidents?limit=1&cursor=${first.body.nextCursor}`, { key: stack.keys.auditor });
    expect(second.status).toBe(200);
    expect(second.body.items[0].incidentId).not.toBe(first.body.items[0].incidentId);

    const forged = [
      cursorOf(['1', '0123456789abcdef']), // Date.parse takes "1"; PostgreSQL does not
      cursorOf(['+275760-09-13T00:00:00.000Z', '0123456789abcdef']),
      cursorOf(['2026-02-30T00:00:00.000Z', '0123456789abcdef']),
      cursorOf(['2026-01-01T00:00:00.000Z', "0123456789abcdef' OR 1=1"]),
      cursorOf(['2026-01-01T00:00:00.000Z']),
      cursorOf({ openedAt: '2026-01-01T00:00:00.000Z' }),
      cursorOf(null),
      'AAAA',
      'not-base64-json',
      '%00',
    ];
    for (const cursor of forged) {
      for (const path of ['/v1/incidents', '/v1/tasks']) {
        const res = await stack.request('GET', `${path}?cursor=${cursor}`, { key: stack.keys.auditor });
        expect({ path, cursor, status: res.status }).toEqual({ path, cursor, status: 400 });
        expect(fieldsOf(res)).toEqual(['cursor']);
      }
    }
    const task = await stack.request('GET', `/v1/tasks?cursor=${cursorOf(['1', '0123456789abcdef', 'scope'])}`, { key: stack.keys.auditor });
    expect(task.status).toBe(400);
    expect(fieldsOf(task)).toEqual(['cursor']);
  });

  it('logs only allow-listed request headers: no Authorization, cookie or unknown header', async () => {
    const requestId = uniqueKey('logged');
    const badKey = `fbk_0123456789abcdef_${'A'.repeat(43)}`;
    const secrets = [stack.keys.auditor, badKey, 'session=s3cret-cookie', 'hunter2-header-value'];
    const headers = { cookie: secrets[2]!, 'x-internal-secret': secrets[3]!, 'user-agent': 'hardening-test/1.0', 'x-request-id': requestId };
    expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.auditor, headers })).status).toBe(200);
    expect((await stack.request('GET', '/v1/incidents', { key: badKey, headers: { ...headers, 'x-request-id': `${requestId}-401` } })).status).toBe(401);

    await waitFor('both request lines', async () => {
      if (logLines.filter((l) => String(l.req?.id ?? '').startsWith(requestId)).length < 2) throw new Error('not logged yet');
    }, 5_000, 50);
    const lines = logLines.filter((l) => String(l.req?.id ?? '').startsWith(requestId));
    for (const line of lines) {
      expect(Object.keys(line.req.headers).every((h) => (LOGGED_REQUEST_HEADERS as readonly string[]).includes(h))).toBe(true);
      expect(line.req.headers['user-agent']).toBe('hardening-test/1.0');
      expect(line.req.headers['x-request-id']).toMatch(new RegExp(`^${requestId}`));
      const text = JSON.stringify(line);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/authorization|cookie|x-internal-secret/i);
    }
  });

  it('answers a decision that applied with its result when its idempotency record cannot be saved, and a repeat applies it once', async () => {
    const id = await openIncident();
    // The store fails as an outage would (57P01, which the API otherwise answers with 503), after the decision applied.
    await asOwner(
      stack,
      `CREATE FUNCTION refuse_idempotency_record() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'idempotency store unavailable' USING ERRCODE = '57P01'; END $$;
       CREATE TRIGGER idempotency_records_fail BEFORE INSERT ON idempotency_records FOR EACH ROW EXECUTE FUNCTION refuse_idempotency_record();`,
    );
    try {
      const headers = { 'idempotency-key': uniqueKey('ack') };
      const first = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.responder, body: {}, headers });
      expect(first.status).toBe(200);
      expect(first.body.phase).toBe('triage');
      const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM idempotency_records');
      expect(rows[0].n).toBe(0);
      expect(logLines.some((l) => l.msg === 'idempotency record not saved; answering the result anyway' && l.level === 40)).toBe(true);

      // Nothing was kept, so the repeat goes to the workflow again: the same update id, applied once, the same answer
      // (a second acknowledgement would be refused with 409).
      const repeat = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.responder, body: {}, headers });
      expect(repeat.status).toBe(200);
      expect(repeat.body.version).toBe(first.body.version);
      expect(repeat.body.acknowledgedAt).toBe(first.body.acknowledgedAt);
      const other = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.responder, body: {} });
      expect(other.status).toBe(409);
    } finally {
      await asOwner(stack, 'DROP TRIGGER idempotency_records_fail ON idempotency_records; DROP FUNCTION refuse_idempotency_record();');
    }
  });
});
