import { openEventStream, type EventStreamReader, type StreamEvent } from '../support/event-stream';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

/**
 * GET /v1/events, the console's live feed: read-model writes → PostgreSQL NOTIFY → every API
 * replica's LISTEN connection → each open stream. Real API processes, worker, Temporal, PostgreSQL.
 */
describe('the live event stream', () => {
  let stack: TestStack;
  const streams: EventStreamReader[] = [];
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function open(baseUrl: string, key: string): Promise<EventStreamReader> {
    const stream = await openEventStream(`${baseUrl}/v1/events`, { authorization: `Bearer ${key}` });
    streams.push(stream);
    return stream;
  }

  const about = (incidentId: string, phase?: string) => (event: StreamEvent) =>
    event.event === 'incident' && JSON.parse(event.data).incidentId === incidentId && (phase === undefined || JSON.parse(event.data).phase === phase);

  function alert(dedupKey: string) {
    return { source: 'edr', sourceRef: uniqueKey('ref'), title: 'Beaconing from db-02', severity: 'high', dedupKey, assets: [{ kind: 'host', id: 'db-02' }] };
  }

  it('tells every replica’s listeners of a new incident and of each decision, within 2 s, with the version and phase only', async () => {
    const replica = await stack.startReplica();
    const onFirst = await open(stack.api.url, stack.keys.responder);
    const onReplica = await open(replica.url, stack.keys.auditor);
    expect(onFirst.status).toBe(200);
    expect(onFirst.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(onFirst.headers.get('cache-control')).toBe('no-store');

    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert(uniqueKey('live')) });
    expect(opened.status).toBe(202);
    const id: string = opened.body.incidentId;
    const [first, onOther] = await Promise.all([onFirst.next(about(id), 2_000), onReplica.next(about(id), 2_000)]);
    expect(JSON.parse(first.data)).toEqual({ incidentId: id, version: expect.any(Number), phase: 'detected' });
    expect(JSON.parse(onOther.data).incidentId).toBe(id);

    const acknowledged = await stack.request('POST', `/v1/incidents/${id}/acknowledge`, { key: stack.keys.manager, body: {} });
    expect(acknowledged.status).toBe(200);
    const triage = await onReplica.next(about(id, 'triage'), 2_000);
    expect(JSON.parse(triage.data).version).toBe(acknowledged.body.version);
    expect(JSON.parse(triage.data).version).toBeGreaterThan(JSON.parse(first.data).version);
  });

  it('is for the roles that read incidents: 401 without a key, 403 for integration and admin keys', async () => {
    const anonymous = await fetch(`${stack.api.url}/v1/events`);
    expect(anonymous.status).toBe(401);
    for (const role of ['integration', 'admin'] as const) {
      const refused = await fetch(`${stack.api.url}/v1/events`, { headers: { authorization: `Bearer ${stack.keys[role]}` } });
      expect(refused.status).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('comes back after its LISTEN connection is killed, says resync, and delivers changes again', async () => {
    const stream = await open(stack.api.url, stack.keys.manager);
    const killed = await stack.db.ownerPool.query(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN firebreak_incident_changed%'",
    );
    expect(killed.rowCount).toBeGreaterThanOrEqual(1);
    await stream.next((event) => event.event === 'resync', 5_000);
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert(uniqueKey('after-drop')) });
    await stream.next(about(opened.body.incidentId), 2_000);
  });
});
