import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { temporalCliPath } from '../../src/temporal/binaries';
import { workflowIdFor } from '../../src/temporal/contract';
import { ENCRYPTED_ENCODING } from '../../src/temporal/payload-codec';
import { startTestStack, uniqueKey, type TestStack } from '../support/stack';
import { testEnv } from '../support/servers';

type PayloadJson = { metadata: Record<string, string>; data?: string };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** Every payload in a JSON history, with where it sits. */
function payloadsIn(value: unknown, at = '', found: Array<{ at: string; payload: PayloadJson }> = []): Array<{ at: string; payload: PayloadJson }> {
  if (Array.isArray(value)) value.forEach((v, i) => payloadsIn(v, `${at}.${i}`, found));
  else if (value && typeof value === 'object') {
    const metadata = (value as PayloadJson).metadata;
    if (metadata && typeof metadata.encoding === 'string') found.push({ at, payload: value as PayloadJson });
    else for (const [k, v] of Object.entries(value)) payloadsIn(v, `${at}.${k}`, found);
  }
  return found;
}

const UI_ORIGIN = 'https://temporal-ui.example.org';

describe('payloads encrypted in Temporal', () => {
  let stack: TestStack;
  let raw: Client;
  let rawConnection: Connection;
  beforeAll(async () => {
    stack = await startTestStack({ codecCorsOrigins: [UI_ORIGIN] });
    // What someone with access to Temporal (or its database) sees: a client without the codec.
    rawConnection = await Connection.connect({ address: testEnv('temporalAddress') });
    raw = new Client({ connection: rawConnection });
  });
  afterAll(async () => {
    await rawConnection?.close();
    await stack?.close();
  });

  const title = `Credential dumping on zebra-${uniqueKey('host')}`;
  let incidentId: string;

  async function openIncident(): Promise<string> {
    if (incidentId) return incidentId;
    const opened = await stack.request('POST', '/v1/alerts', {
      key: stack.keys.integration,
      body: { source: 'edr', sourceRef: uniqueKey('enc'), title, severity: 'high', dedupKey: uniqueKey('enc'), assets: [{ kind: 'host', id: 'zebra-web-01' }] },
    });
    expect(opened.status).toBe(202);
    incidentId = opened.body.incidentId;
    expect((await stack.request('POST', `/v1/incidents/${incidentId}/notes`, { key: stack.keys.responder, body: { text: 'zebra lsass dump found in memory' } })).status).toBe(200);
    return incidentId;
  }

  async function rawHistory(id: string): Promise<{ events: Array<Record<string, any>> }> {
    return JSON.parse(historyToJSON(await raw.workflow.getHandle(workflowIdFor(id)).fetchHistory()));
  }

  it('stores ciphertext in Temporal’s history: no incident detail in any payload read without the codec', async () => {
    const id = await openIncident();
    const history = await rawHistory(id);
    const text = JSON.stringify(history);
    expect(text).not.toContain('zebra');
    const payloads = payloadsIn(history);
    // Three kinds stay plain, and hold no incident detail: search attributes (Temporal indexes them:
    // severity, phase, source), patch markers (the SDK writes a change id there, past the codec) and
    // the bookkeeping of a local activity's marker (the SDK's own: sequence, attempt, activity type,
    // times). The local activity's result, beside it in the same marker, goes through the codec.
    const localActivityBookkeeping = (at: string) => /markerRecordedEventAttributes\.details\.data\./.test(at);
    for (const { at, payload } of payloads.filter((p) => localActivityBookkeeping(p.at))) {
      expect([at, unb64(payload.metadata.encoding)]).toEqual([at, 'json/plain']);
      for (const field of Object.keys(JSON.parse(unb64(payload.data)))) {
        expect(['seq', 'attempt', 'activity_id', 'activity_type', 'complete_time', 'backoff', 'original_schedule_time']).toContain(field);
      }
    }
    const encryptable = payloads.filter(
      (p) => !p.at.includes('searchAttributes') && !p.at.includes('patch-data') && !localActivityBookkeeping(p.at),
    );
    expect(encryptable.length).toBeGreaterThanOrEqual(3); // the start's input, the alert signal, the note's update
    const bookkept = payloads.filter((p) => localActivityBookkeeping(p.at)).map((p) => p.at.replace(/\.data\.payloads\.0$/, ''));
    expect(bookkept.length).toBeGreaterThan(0); // publishing runs as a local activity
    for (const marker of bookkept) expect(encryptable.map((p) => p.at)).toContain(`${marker}.result.payloads.0`);
    for (const { at, payload } of encryptable) {
      expect([at, unb64(payload.metadata.encoding)]).toEqual([at, ENCRYPTED_ENCODING]);
      expect(unb64(payload.data)).not.toContain('zebra');
    }
    for (const { payload } of payloads) expect(unb64(payload.data)).not.toMatch(/zebra|lsass|Credential/);
    // And reading it without the codec cannot make sense of the input.
    const started = history.events[0]!.workflowExecutionStartedEventAttributes;
    expect(() => JSON.parse(unb64(started.input.payloads[0].data))).toThrow();
  });

  it('gives the auditors’ export back decrypted', async () => {
    const id = await openIncident();
    const res = await stack.request('GET', `/v1/incidents/${id}/history`, { key: stack.keys.auditor });
    expect(res.status).toBe(200);
    const started = res.body.runs[0].history.events[0].workflowExecutionStartedEventAttributes;
    expect(unb64(started.input.payloads[0].metadata.encoding)).toBe('json/plain');
    expect(JSON.parse(unb64(started.input.payloads[0].data))).toMatchObject({ title });
    expect(JSON.stringify(res.body)).not.toContain(b64(ENCRYPTED_ENCODING));
  });

  describe('POST /codec/decode and /codec/encode (Temporal UI and CLI codec server)', () => {
    const codecCall = (path: string, key: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
      stack.request('POST', path, { key, body, headers: { 'x-namespace': 'default', ...headers } });

    it('decodes what Temporal stores for an auditor, exactly as the UI and CLI send it', async () => {
      const history = await rawHistory(await openIncident());
      const input = history.events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0];
      const res = await codecCall('/codec/decode', stack.keys.auditor, { payloads: [input] });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.payloads).toHaveLength(1);
      expect(unb64(res.body.payloads[0].metadata.encoding)).toBe('json/plain');
      expect(JSON.parse(unb64(res.body.payloads[0].data))).toMatchObject({ title });
    });

    it('serves the Temporal CLI: `temporal workflow show --codec-endpoint --codec-auth` prints the incident decrypted for an auditor only', async () => {
      const id = await openIncident();
      const show = (key: string) =>
        promisify(execFile)(temporalCliPath(), [
          'workflow', 'show', '--workflow-id', workflowIdFor(id), '--output', 'json', '--address', testEnv('temporalAddress'), '--namespace', 'default',
          '--codec-endpoint', `${stack.api.url}/codec`, '--codec-auth', `Bearer ${key}`,
        ], { maxBuffer: 16 * 1024 * 1024 });
      const firstInput = (stdout: string) => JSON.parse(stdout).events[0].workflowExecutionStartedEventAttributes.input.payloads[0];
      const decoded = firstInput((await show(stack.keys.auditor)).stdout);
      expect(unb64(decoded.metadata.encoding)).toBe('json/plain');
      expect(JSON.parse(unb64(decoded.data))).toMatchObject({ title });
      // A manager's key gets 403 from the endpoint: the CLI gives up (it retries until its deadline), or shows ciphertext.
      const refused = await show(stack.keys.manager).then((r) => unb64(firstInput(r.stdout).metadata.encoding), (err) => `failed: ${err.stdout}${err.stderr}`);
      expect(refused).toMatch(/^failed: |^binary\/encrypted$/);
      expect(refused).not.toContain('zebra');
    }, 60_000);

    it('encodes for an auditor, and what it encodes decodes back; plain payloads decode unchanged', async () => {
      const plain = { metadata: { encoding: b64('json/plain') }, data: b64('{"zebra":1}') };
      const encoded = await codecCall('/codec/encode', stack.keys.auditor, { payloads: [plain] });
      expect(encoded.status).toBe(200);
      expect(unb64(encoded.body.payloads[0].metadata.encoding)).toBe(ENCRYPTED_ENCODING);
      expect(unb64(encoded.body.payloads[0].data)).not.toContain('zebra');
      const decoded = await codecCall('/codec/decode', stack.keys.auditor, { payloads: [encoded.body.payloads[0], plain] });
      expect(decoded.body.payloads).toEqual([plain, plain]);
    });

    it('answers 401 without a key or with an unknown one, 403 to every other role, as problem+json', async () => {
      const body = { payloads: [] };
      for (const key of [undefined, 'fb_not-a-key']) {
        const res = await codecCall('/codec/decode', key, body);
        expect(res.status).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      for (const role of ['integration', 'responder', 'manager', 'admin'] as const) {
        for (const path of ['/codec/decode', '/codec/encode']) {
          const res = await codecCall(path, stack.keys[role], body);
          expect([role, path, res.status]).toEqual([role, path, 403]);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(res.body.detail).toMatch(/allowed: auditor/);
        }
      }
      expect((await codecCall('/codec/decode', stack.keys.auditor, body)).body).toEqual({ payloads: [] });
    });

    it('refuses a body that is not the protocol with 400 naming the field, and a changed ciphertext with 422', async () => {
      const missing = await codecCall('/codec/decode', stack.keys.auditor, { payload: [] });
      expect(missing.status).toBe(400);
      expect(missing.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'payloads' })]));
      const notBase64 = await codecCall('/codec/decode', stack.keys.auditor, { payloads: [{ metadata: { encoding: b64('json/plain') }, data: '%%%' }] });
      expect(notBase64.status).toBe(400);
      expect(notBase64.body.errors).toEqual([{ field: 'payloads.0.data', message: 'must be base64' }]);

      const history = await rawHistory(await openIncident());
      const input = history.events[0]!.workflowExecutionStartedEventAttributes.input.payloads[0];
      const bytes = Buffer.from(input.data, 'base64');
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      const tampered = await codecCall('/codec/decode', stack.keys.auditor, { payloads: [{ ...input, data: bytes.toString('base64') }] });
      expect(tampered.status).toBe(422);
      expect(tampered.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(tampered.body.detail).toMatch(/does not authenticate/);
      expect(JSON.stringify(tampered.body)).not.toMatch(/at .*\.ts:\d+/); // no stack trace
    });

    it('lets the configured UI origin call from a browser with credentials, and no other origin', async () => {
      const preflight = await fetch(`${stack.api.url}/codec/decode`, {
        method: 'OPTIONS',
        headers: { origin: UI_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,x-namespace' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/i);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);

      const allowed = await codecCall('/codec/decode', stack.keys.auditor, { payloads: [] }, { origin: UI_ORIGIN });
      expect(allowed.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      // A refusal carries the CORS headers too, so the UI can show why.
      expect((await codecCall('/codec/decode', undefined, { payloads: [] }, { origin: UI_ORIGIN })).headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);

      const other = await fetch(`${stack.api.url}/codec/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      expect((await codecCall('/codec/decode', stack.keys.auditor, { payloads: [] }, { origin: 'https://evil.example' })).headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
