import { loggedRequest, loggedUrl } from '../../src/logger';

describe('request URLs in the log', () => {
  it('keeps the names of a sign-in’s secret parameters and drops their values', () => {
    expect(loggedUrl('/auth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj&iss=https%3A%2F%2Fidp.example.org')).toBe(
      '/auth/callback?code=%5Bredacted%5D&state=%5Bredacted%5D&iss=https%3A%2F%2Fidp.example.org',
    );
    const logged = loggedRequest({ id: 1, method: 'GET', url: '/auth/callback?code=abc&state=def', headers: {}, remoteAddress: '127.0.0.1', remotePort: 1 } as never);
    expect(JSON.stringify(logged)).not.toMatch(/abc|def/);
  });

  it('leaves every other URL exactly as it came', () => {
    for (const url of ['/v1/incidents?status=triage&cursor=WyIyMDI2Il0', '/v1/incidents/0123456789abcdef', '/console/', undefined]) expect(loggedUrl(url)).toBe(url);
  });
});
