import { metricsTokenFromEnvironment } from '../../src/api/metrics-token';
import { startTestStack, type TestStack } from '../support/stack';

const TOKEN = 'scrape-9f86d081884c7d659a2feaa0c55ad015';

describe('/metrics behind METRICS_TOKEN', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ metricsToken: TOKEN });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers the Prometheus scrape that sends the token', async () => {
    await stack.request('GET', '/healthz');
    const res = await stack.request('GET', '/metrics', { key: TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^# HELP /m);
  });

  it('answers 401 problem+json without it, with another token and with an API key, and shows no metric', async () => {
    for (const key of [undefined, TOKEN.slice(0, -1), `${TOKEN}x`, stack.keys.admin]) {
      const res = await stack.request('GET', '/metrics', { key });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(res.body)).not.toMatch(/# HELP|# TYPE/);
    }
    const basic = await stack.request('GET', '/metrics', { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
  });

  it('leaves the probes open: an orchestrator checks them without a token', async () => {
    expect((await stack.request('GET', '/healthz')).status).toBe(200);
  });
});

describe('METRICS_TOKEN', () => {
  it('is optional, and refused when short or with spaces, without echoing it', () => {
    expect(metricsTokenFromEnvironment({})).toBeUndefined();
    expect(metricsTokenFromEnvironment({ METRICS_TOKEN: TOKEN })).toBe(TOKEN);
    expect(() => metricsTokenFromEnvironment({ METRICS_TOKEN: 'short' })).toThrow(/^METRICS_TOKEN: at least 24 characters/);
    expect(() => metricsTokenFromEnvironment({ METRICS_TOKEN: `${TOKEN} ${TOKEN}` })).toThrow(/without spaces/);
    try {
      metricsTokenFromEnvironment({ METRICS_TOKEN: 'short-secret' });
    } catch (err) {
      expect((err as Error).message).not.toContain('short-secret');
    }
  });
});
