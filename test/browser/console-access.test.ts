import type { Browser } from 'playwright-core';
import { waitFor } from '../../src/net';
import { launchChromium } from './support/chromium';
import { axeCheck, openConsolePage, screenshot, sessionOf, signIn, type ConsolePage, type DemoUser } from './support/console';
import { startBrowserStack, type BrowserStack } from './support/stack';

// Functions passed to page.evaluate run in the page; the project's type-check has no DOM library.
declare const document: any;

/**
 * Who may come in, and what each person sees, in a real headless Chromium against the stack as
 * `make up` starts it: sign-in through the dev OpenID provider for every demo user, the console's
 * Content Security Policy, the administration view, and sign-out.
 */
describe('the console in a browser: sign-in, roles, CSP, administration, sign-out', () => {
  let stack: BrowserStack;
  let browser: Browser;
  const opened: ConsolePage[] = [];

  beforeAll(async () => {
    // The browser first: without Chromium the suite stops in a second, not after starting a stack.
    browser = await launchChromium();
    stack = await startBrowserStack();
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  /** A new person at a new browser; the page's CSP reports are checked when the test ends. */
  async function person(): Promise<ConsolePage> {
    const page = await openConsolePage(browser);
    opened.push(page);
    return page;
  }

  afterEach(async () => {
    const pages = opened.splice(0);
    const violations = pages.flatMap((p) => p.violations);
    await Promise.all(pages.map((p) => p.context.close()));
    // No page of the console may be refused anything by its own policy: no inline script, style or
    // outside request hiding in a view.
    expect(violations).toEqual([]);
  });

  it("serves the console with a strict policy: script-src 'self', no 'unsafe-inline'", async () => {
    const res = await fetch(`${stack.url}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name, values] as const));
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    // The app itself comes from the same origin, under the same policy.
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('reports what the policy refuses, so a clean run means something', async () => {
    const { page, violations } = await openConsolePage(browser);
    try {
      await page.goto(`${stack.url}/console/`);
      await page.getByRole('link', { name: 'Sign in' }).waitFor();
      // What a careless view might do: an inline script. The browser must refuse it, and the test hears of it.
      const ran = await page.evaluate(() => {
        const script = document.createElement('script');
        script.textContent = 'document.body.dataset.inlineRan = "yes"';
        document.head.appendChild(script);
        return document.body.dataset.inlineRan ?? 'no';
      });
      expect(ran).toBe('no');
      // Both ways of hearing it work: the page's securitypolicyviolation event and Chromium's console message.
      await waitFor('the violation reports', async () => {
        expect(violations.some((v) => /^script-src/.test(v.directive))).toBe(true);
        expect(violations.some((v) => v.directive === 'console' && /script-src/.test(v.blocked))).toBe(true);
      }, 5_000, 50);
    } finally {
      await page.context().close();
    }
  });

  it("finds no serious accessibility violation on the console's own sign-in page, and would name one", async () => {
    const { page } = await person();
    await page.goto(`${stack.url}/console/`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await axeCheck(page, 'sign-in');
    // The check is not blind: a control without a label is a critical violation, reported by name.
    await page.evaluate(() => {
      const input = document.createElement('input');
      input.type = 'text';
      document.querySelector('main').appendChild(input);
    });
    await expect(axeCheck(page, 'sign-in')).rejects.toThrow(/critical label: Form elements must have labels/);
  });

  const roles: Array<{ user: DemoUser; name: string; role: string; mfa: boolean; nav: string[] }> = [
    { user: 'responder', name: 'Rory Responder', role: 'responder', mfa: false, nav: ['Queue'] },
    { user: 'manager', name: 'Morgan Manager', role: 'manager', mfa: true, nav: ['Queue', 'Reports'] },
    { user: 'ciso', name: 'Casey CISO', role: 'manager', mfa: true, nav: ['Queue', 'Reports'] },
    { user: 'auditor', name: 'Alex Auditor', role: 'auditor', mfa: false, nav: ['Queue', 'Reports'] },
    { user: 'admin', name: 'Ada Admin', role: 'admin', mfa: false, nav: ['Admin'] },
  ];

  it.each(roles)('signs $user in through the local provider as $role, with the views of that role', async ({ user, name, role, mfa, nav }) => {
    const { page } = await person();
    await signIn(page, stack, user);
    const session = await sessionOf(page);
    expect(session.status).toBe(200);
    expect(session.body.principal).toMatchObject({ keyId: `oidc:${user}`, name, role, person: { subject: user, issuer: stack.oidcUrl, name, mfa } });
    expect(session.body.principal.person.authTime).toEqual(expect.any(String));
    // The shell names the person and the role; the navigation offers only the views the role may open.
    const header = page.getByRole('banner');
    await expect(header.textContent()).resolves.toContain(name);
    const links = await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents();
    expect(links.map((l) => l.trim())).toEqual(nav);
    expect(await header.getByText('MFA', { exact: true }).count()).toBe(mfa ? 1 : 0);
    // The session cookie is the contract's: host-only, Secure, HttpOnly, SameSite=Strict.
    const cookies = await page.context().cookies(stack.url);
    const cookie = cookies.find((c) => c.name === '__Host-firebreak-session');
    expect(cookie).toMatchObject({ secure: true, httpOnly: true, sameSite: 'Strict', path: '/' });
  });

  it('tells the integration user there is no console view for its role', async () => {
    const { page } = await person();
    await signIn(page, stack, 'integration');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not for your role');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').count()).toBe(0);
    // And the API agrees: a person with the integration role reads no incident.
    const status = await page.evaluate(async () => (await fetch('/v1/incidents', { credentials: 'same-origin' })).status);
    expect(status).toBe(403);
    // Nor does the session report alerts: integrations do that with keys bound to their sources.
    const reported = await page.evaluate(async () => {
      const { csrfToken } = (await (await fetch('/auth/session', { credentials: 'same-origin' })).json()) as { csrfToken: string };
      const res = await fetch('/v1/alerts', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
        body: JSON.stringify({ source: 'edr', sourceRef: 'from-a-person', title: 'Typed in by hand', severity: 'low', dedupKey: 'by-hand' }),
      });
      return { status: res.status, body: (await res.json()) as { detail?: string } };
    });
    expect(reported.status).toBe(403);
    expect(reported.body.detail).toMatch(/API key/);
  });

  it('lets the admin issue a key whose secret is shown once, and revoke it', async () => {
    const { page } = await person();
    await signIn(page, stack, 'admin');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Administration');
    const keyName = 'soc-dashboard';
    await page.getByLabel('Name', { exact: true }).fill(keyName);
    await page.getByLabel('Role', { exact: true }).selectOption('responder');
    await page.getByRole('button', { name: 'Issue key', exact: true }).click();
    const secretRegion = page.getByRole('region', { name: 'New key secret' });
    await secretRegion.waitFor({ timeout: 10_000 });
    const secret = /fbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}/.exec((await secretRegion.locator('code').textContent()) ?? '')?.[0];
    expect(secret).toBeDefined();
    // The secret works as a key of the role it was issued with.
    const asKey = await fetch(`${stack.url}/v1/incidents`, { headers: { authorization: `Bearer ${secret}` } });
    expect(asKey.status).toBe(200);
    await axeCheck(page, 'admin');

    // Shown once: after a reload the secret is nowhere on the page, only the key's name.
    await page.reload();
    await page.getByRole('button', { name: `Revoke ${keyName}` }).waitFor({ timeout: 10_000 });
    expect(await page.content()).not.toContain(secret!);
    await axeCheck(page, 'admin (keys listed)');
    await screenshot(page, 'admin');

    await page.getByRole('button', { name: `Revoke ${keyName}` }).click();
    // A confirm step: nothing is revoked by the first click alone.
    expect((await fetch(`${stack.url}/v1/incidents`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    await page.getByRole('form', { name: `Confirm revoking ${keyName}` }).getByRole('button', { name: 'Confirm revoke' }).click();
    // Gone from the list of keys in use.
    await page.getByRole('button', { name: `Revoke ${keyName}` }).waitFor({ state: 'detached', timeout: 10_000 });
    await waitFor('the revocation', async () => expect((await fetch(`${stack.url}/v1/incidents`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401), 10_000);
  });

  it('signs out: back to sign-in, and the old session is refused by the API', async () => {
    const { page, context } = await person();
    await signIn(page, stack, 'manager');
    const cookie = (await context.cookies(stack.url)).find((c) => c.name === '__Host-firebreak-session');
    expect(cookie).toBeDefined();
    const withOldCookie = (route: string) => fetch(`${stack.url}${route}`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` } });
    expect((await withOldCookie('/v1/incidents')).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider may ask to end its own session too (RP-initiated logout); say yes.
    await page.waitForURL((url) => url.origin === stack.oidcUrl || url.origin === stack.url, { timeout: 10_000 });
    const leave = page.getByRole('button', { name: 'Yes, sign me out' });
    const signInLink = page.getByRole('link', { name: 'Sign in' });
    const first = await Promise.race([
      leave.waitFor({ timeout: 10_000 }).then(() => 'provider' as const, () => undefined),
      signInLink.waitFor({ timeout: 10_000 }).then(() => 'console' as const, () => undefined),
    ]);
    if (first === 'provider') await leave.click();
    await signInLink.waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).origin).toBe(stack.url);
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);

    expect((await withOldCookie('/v1/incidents')).status).toBe(401);
    expect((await withOldCookie('/auth/session')).status).toBe(401);
    expect((await sessionOf(page)).status).toBe(401);
  });
});
