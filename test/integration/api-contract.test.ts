import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROUTES } from '../../src/api/route-table';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';

// As under `make up` (`node dist/…`), where npm sets no npm_package_version for the app to read.
delete process.env.npm_package_version;
const { version } = JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string };

const alert = (extra: Record<string, unknown> = {}) => ({ source: 'waf', sourceRef: uniqueKey('r'), title: 'SQL injection attempt', severity: 'medium', ...extra });

describe('the API contract', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ rateLimits: { integration: 60_000, responder: 600, manager: 600, auditor: 5, admin: 120 } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** [label, method, path, body (string = raw), headers, expected status, field named in `errors`] */
  const BAD_INPUT: Array<[string, string, string, unknown, Record<string, string>, number, string | undefined]> = [
    ['an oversized body', 'POST', '/v1/alerts', alert({ description: 'x'.repeat(300 * 1024) }), {}, 413, undefined],
    ['a wrong type', 'POST', '/v1/alerts', alert({ severity: 5 }), {}, 400, 'severity'],
    ['an unknown field', 'POST', '/v1/alerts', alert({ admin: true }), {}, 400, 'admin'],
    ['a __proto__ key', 'POST', '/v1/alerts', JSON.stringify(alert()).replace(/^\{/, '{"__proto__":{"polluted":true},'), {}, 400, '__proto__'],
    ['a constructor.prototype key', 'POST', '/v1/alerts', alert({ constructor: { prototype: { polluted: true } } }), {}, 400, 'constructor'],
    ['a NUL character', 'POST', '/v1/alerts', alert({ title: 'bad\u0000title' }), {}, 400, 'title'],
    ['an escape character', 'POST', '/v1/alerts', alert({ title: 'bad\u001b[31mtitle' }), {}, 400, 'title'],
    ['a huge number', 'POST', '/v1/alerts', JSON.stringify(alert()).replace(/"severity":"medium"/, '"severity":1e999'), {}, 400, 'severity'],
    ['deep nesting', 'POST', '/v1/alerts', JSON.stringify(alert()).replace(/\}$/, `,"raw":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}}`), {}, 400, ''],
    ['a string too long', 'POST', '/v1/alerts', alert({ title: 'x'.repeat(301) }), {}, 400, 'title'],
    ['too many assets', 'POST', '/v1/alerts', alert({ assets: Array.from({ length: 101 }, (_, i) => ({ kind: 'host', id: `h${i}` })) }), {}, 400, 'assets'],
    ['an array body', 'POST', '/v1/alerts', [alert()], {}, 400, ''],
    ['an empty object', 'POST', '/v1/alerts', {}, {}, 400, 'source'],
    ['invalid JSON', 'POST', '/v1/alerts', '{"source": "waf",', {}, 400, undefined],
    ['a text body', 'POST', '/v1/alerts', 'hello', { 'content-type': 'text/plain' }, 415, undefined],
    ['a form body', 'POST', '/v1/alerts', 'a=b', { 'content-type': 'application/x-www-form-urlencoded' }, 415, undefined],
    ['limit above the cap', 'GET', '/v1/incidents?limit=201', undefined, {}, 400, 'limit'],
    ['limit of zero', 'GET', '/v1/incidents?limit=0', undefined, {}, 400, 'limit'],
    ['a huge limit', 'GET', '/v1/incidents?limit=1e400', undefined, {}, 400, 'limit'],
    ['an unknown status', 'GET', '/v1/incidents?status=burning', undefined, {}, 400, 'status'],
    ['a repeated parameter', 'GET', '/v1/incidents?severity=low&severity=high', undefined, {}, 400, 'severity'],
    ['a forged cursor', 'GET', '/v1/incidents?cursor=eyJ4IjoxfQ', undefined, {}, 400, 'cursor'],
    ['an unknown query parameter', 'GET', '/v1/incidents?sort=asc', undefined, {}, 400, 'sort'],
    ['a malformed incident id', 'GET', '/v1/incidents/..%2F..%2Fetc', undefined, {}, 404, 'id'],
    // Found by the fuzz run (bench/fuzz.ts): PostgreSQL cannot store U+0000, and answered 500.
    ['a NUL in a raw value', 'POST', '/v1/alerts', alert({ raw: { note: 'a\u0000b' } }), {}, 400, 'raw.note'],
    ['a NUL in a label name', 'POST', '/v1/integrations/alertmanager', { version: '4', groupKey: 'g', status: 'firing', receiver: 'r', groupLabels: { 'a\u0000': 'x' }, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts: [] }, {}, 400, 'groupLabels.a\u0000'],
    ['an unpaired surrogate', 'POST', '/v1/alerts', JSON.stringify(alert()).replace(/"title":"[^"]*"/, '"title":"bad\\ud800title"'), {}, 400, 'title'],
    ['a blank title', 'POST', '/v1/alerts', alert({ title: ' \t ' }), {}, 400, 'title'],
  ];

  it.each(BAD_INPUT)('rejects %s with a 4xx problem', async (_label, method, path, body, headers, status, field) => {
    const key = method === 'GET' ? stack.keys.manager : stack.keys.integration;
    const res = await stack.request(method, path, { key, body, headers: { 'content-type': 'application/json', ...headers } });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ type: expect.stringMatching(/^\/problems\//), status });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    if (field !== undefined) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('wrote nothing for any of the rejected alerts', async () => {
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts');
    expect(rows[0].n).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers the same Idempotency-Key and body with the first answer, and another body with 422', async () => {
    const dedupKey = uniqueKey('idem');
    const body = alert({ dedupKey });
    const headers = { 'idempotency-key': uniqueKey('req') };
    const first = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body, headers });
    const again = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body, headers });
    expect(first.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: { ...body, sourceRef: 'different' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('/problems/idempotency-key-reused');
    const { rows } = await stack.db.pool.query('SELECT count(*)::int AS n FROM alerts WHERE dedup_key = $1', [dedupKey]);
    expect(rows[0].n).toBe(1);
  });

  it('limits each key per minute with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 7; i++) {
      const res = await stack.request('GET', '/v1/incidents', { key: stack.keys.auditor });
      statuses.push(res.status);
      if (res.status === 429) {
        retryAfter = res.headers.get('retry-after');
        expect(res.body.type).toBe('/problems/rate-limited');
      }
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    // Another key is not affected.
    expect((await stack.request('GET', '/v1/incidents', { key: stack.keys.manager })).status).toBe(200);
  });

  it('serves a valid OpenAPI 3.1 document naming every route of the app', async () => {
    const res = await stack.request('GET', '/openapi.json');
    expect(res.status).toBe(200);
    const verdict = JSON.parse(
      execFileSync(process.execPath, [path.join(__dirname, '../support/validate-openapi.mjs')], { input: JSON.stringify(res.body), encoding: 'utf8' }),
    );
    expect(verdict).toEqual({ valid: true, version: '3.1', errors: null });
    expect(res.body.info.version).toBe(version);

    // Every route registered on the Express app is in the document, and nothing else.
    const app = stack.api.app as unknown as { router: { stack: Array<{ route?: { path: string; methods: Record<string, boolean> } }> } };
    const registered = app.router.stack
      .filter((layer) => layer.route)
      .flatMap((layer) => Object.keys(layer.route!.methods).map((m) => `${m} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`))
      .sort();
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`))
      .sort();
    expect(registered).toEqual(documented);
    expect(documented).toHaveLength(Object.keys(ROUTES).length);
    // The request schemas are the validating ones: the alert body names its enum and bounds.
    const alertBody = res.body.paths['/v1/alerts'].post.requestBody.content['application/json'].schema;
    expect(alertBody.properties.severity.enum).toEqual(['critical', 'high', 'medium', 'low']);
    expect(alertBody.additionalProperties).toBe(false);
    expect(alertBody.properties.title.maxLength).toBe(300);
  });

  it('exposes Prometheus metrics for requests, intake and decisions', async () => {
    const opened = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert({ dedupKey: uniqueKey('metrics') }) });
    await stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
    await stack.request('POST', `/v1/incidents/${opened.body.incidentId}/acknowledge`, { key: stack.keys.responder, body: {} });
    const res = await fetch(`${stack.api.url}/metrics`);
    const text = await res.text();
    expect(text).toMatch(/firebreak_http_requests_total\{route="\/v1\/alerts",method="POST",status="202"\} \d+/);
    expect(text).toMatch(/firebreak_http_requests_total\{route="\/v1\/alerts",method="POST",status="400"\} \d+/);
    expect(text).toMatch(/firebreak_alerts_total\{outcome="opened_incident"\} [1-9]/);
    expect(text).toMatch(/firebreak_decision_duration_seconds_count\{decision="acknowledge",outcome="applied"\} 1/);
    expect(text).toMatch(/firebreak_decision_duration_seconds_count\{decision="acknowledge",outcome="rejected"\} 1/);
  });

  it('counts a request refused with 401 under its route, and only a path of no route as unmatched', async () => {
    expect((await stack.request('GET', '/v1/incidents')).status).toBe(401);
    expect((await stack.request('POST', '/v1/incidents/0000000000000000/acknowledge', { body: {} })).status).toBe(401);
    expect((await stack.request('GET', '/v1/no-such-route')).status).toBe(401);
    const text = await (await fetch(`${stack.api.url}/metrics`)).text();
    expect(text).toMatch(/firebreak_http_requests_total\{route="\/v1\/incidents",method="GET",status="401"\} [1-9]/);
    expect(text).toMatch(/firebreak_http_requests_total\{route="\/v1\/incidents\/:id\/acknowledge",method="POST",status="401"\} 1/);
    expect(text).toMatch(/firebreak_http_requests_total\{route="unmatched",method="GET",status="401"\} [1-9]/);
  });

  // The cases below were found by the fuzz run (bench/fuzz.ts, bench/FUZZ-RESULTS.md).
  it('answers 405 naming the allowed methods for a method the resource does not have, and 204 to OPTIONS', async () => {
    const patch = await stack.request('PATCH', '/v1/incidents/0000000000000000', { key: stack.keys.manager, body: {} });
    expect(patch.status).toBe(405);
    expect(patch.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(patch.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(patch.body).toMatchObject({ type: '/problems/method-not-allowed', status: 405 });
    const trace = await stack.request('DELETE', '/healthz');
    expect(trace.status).toBe(405);
    expect(trace.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    const options = await stack.request('OPTIONS', '/v1/admin/keys', { key: stack.keys.admin });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('POST, GET, HEAD, OPTIONS');
    expect((await stack.request('GET', '/v1/no-such-thing', { key: stack.keys.manager })).status).toBe(404);
  });

  it('authenticates before it reads a body: no key gets 401 whatever the body', async () => {
    for (const [body, type] of [['hello', 'text/plain'], ['{"broken', 'application/json'], [JSON.stringify({ description: 'x'.repeat(300 * 1024) }), 'application/json']]) {
      const res = await stack.request('POST', '/v1/alerts', { body, headers: { 'content-type': type! } });
      expect(res.status).toBe(401);
      expect(res.body.type).toBe('/problems/unauthenticated');
    }
    // A key of the wrong role learns nothing about its body either.
    expect((await stack.request('POST', '/v1/alerts', { key: stack.keys.manager, body: 'hello', headers: { 'content-type': 'text/plain' } })).status).toBe(403);
  });

  it('lists incidents opened after an instant with any RFC 3339 offset (PostgreSQL reads only to ±15:59)', async () => {
    const res = await stack.request('GET', `/v1/incidents?openedAfter=${encodeURIComponent('0327-05-09T14:19:53+18:39')}`, { key: stack.keys.manager });
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.items)).toBe(true);
  });

  it('takes an Alertmanager payload whose unknown fields hold text PostgreSQL could not store: they are dropped, never stored', async () => {
    const fingerprint = uniqueKey('fp').replace(/[^0-9a-zA-Z]/g, '');
    const am = {
      version: '4', groupKey: 'g', status: 'firing', receiver: 'r', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '',
      futureField: { note: 'a\u0000b' },
      alerts: [{ status: 'firing', labels: { alertname: 'Disk' }, annotations: {}, startsAt: '2026-11-28T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint, 'x\u0000': 1 }],
    };
    const res = await stack.request('POST', '/v1/integrations/alertmanager', { key: stack.keys.integration, body: am });
    expect(res.status).toBe(202);
    const { rows } = await stack.db.pool.query('SELECT payload::text AS p FROM alerts WHERE dedup_key = $1', [fingerprint]);
    expect(rows).toHaveLength(1);
    expect(rows[0].p).not.toContain('futureField');
  });

  it('counts text in characters as the document does, so 300 emoji make a valid title', async () => {
    const res = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert({ title: '🔥'.repeat(300), dedupKey: uniqueKey('emoji') }) });
    expect(res.status).toBe(202);
    const over = await stack.request('POST', '/v1/alerts', { key: stack.keys.integration, body: alert({ title: '🔥'.repeat(301) }) });
    expect(over.status).toBe(400);
    expect(over.body.errors.map((e: { field: string }) => e.field)).toContain('title');
  });

  it('documents every answer an operation can give, with its headers and media types', async () => {
    const doc = (await stack.request('GET', '/openapi.json')).body;
    const codes = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
    // Nothing to validate and no id: no 400, no 404.
    expect(codes('/v1/admin/keys', 'get')).toEqual(['200', '401', '403', '429', '503']);
    expect(codes('/v1/incidents/{id}/acknowledge', 'post')).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '429', '503']);
    expect(codes('/healthz', 'get')).toEqual(['200']);
    // Follow-up decisions answer as incident decisions do; their 409 also covers follow-ups that are all settled.
    expect(codes('/v1/incidents/{id}/follow-ups/{taskId}/complete', 'post')).toEqual(['200', '400', '401', '403', '404', '409', '413', '415', '422', '429', '503']);
    expect(doc.paths['/v1/incidents/{id}/follow-ups/{taskId}/skip'].post.responses['409'].description).toMatch(/every one is settled/);
    expect(codes('/v1/incidents/{id}/follow-ups', 'get')).toEqual(['200', '401', '403', '404', '429', '503']);
    const followUpState = doc.paths['/v1/incidents/{id}/follow-ups/{taskId}/complete'].post.responses['200'].content['application/json'].schema;
    expect(followUpState.required).toEqual(expect.arrayContaining(['incidentId', 'tasks', 'version']));
    const todo = doc.paths['/v1/tasks'].get.responses['200'].content['application/json'].schema.properties.items.items;
    expect(todo.properties.followUp).toMatchObject({ type: 'boolean' });
    expect(todo.required).toContain('followUp');
    expect(doc.paths['/v1/reports/summary'].get.responses['200'].content['application/json'].schema.properties.followUps.required).toEqual(['open', 'overdue', 'done', 'skipped']);
    const unauthenticated = doc.paths['/v1/incidents'].get.responses['401'];
    expect(unauthenticated.headers['WWW-Authenticate'].required).toBe(true);
    expect(doc.paths['/v1/incidents'].get.responses['429'].headers['Retry-After'].required).toBe(true);
    expect(Object.keys(doc.paths['/v1/reports/summary'].get.responses['200'].content)).toEqual(['application/json', 'text/markdown']);
    // The regimes this deployment knows, and only those that count from an event.
    const regime = doc.paths['/v1/incidents/{id}/regimes'].post.requestBody.content['application/json'].schema.properties.regime;
    expect(regime.enum).toEqual(expect.arrayContaining(['gdpr_art33', 'nis2_art23']));
    expect(regime.enum).not.toContain('sec_8k_105');
    const idempotencyKey = doc.paths['/v1/alerts'].post.parameters.find((p: { name: string }) => p.name === 'Idempotency-Key');
    expect(idempotencyKey.schema).toMatchObject({ minLength: 1, maxLength: 200, pattern: expect.any(String) });
    // Text fields state their rules as patterns; references resolve within the document.
    const alertBody = doc.paths['/v1/alerts'].post.requestBody.content['application/json'].schema;
    expect(new RegExp(alertBody.properties.title.pattern, 'u').test(' \t ')).toBe(false);
    expect(alertBody.properties.raw.additionalProperties).toEqual({ $ref: '#/components/schemas/JsonValue' });
    expect(doc.components.schemas.JsonValue).toBeDefined();
    expect(JSON.stringify(doc)).not.toContain('#/$defs/');
  });

  it('answers /healthz and /readyz without a key', async () => {
    expect((await stack.request('GET', '/healthz')).body).toEqual({ status: 'ok' });
    expect((await stack.request('GET', '/readyz')).body).toEqual({ status: 'ready' });
  });
});
