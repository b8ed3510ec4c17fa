import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { BrowserStack } from './stack';

const ROOT = path.resolve(__dirname, '../../..');

// Functions passed to page.evaluate run in the page; the project's type-check has no DOM library.
declare const document: any;
declare const window: any;

/** The dev OpenID provider's demo users; every one's password is `firebreak` (dev only). */
export type DemoUser = 'responder' | 'manager' | 'ciso' | 'auditor' | 'admin' | 'integration';
export const DEMO_PASSWORD = 'firebreak';

export interface CspViolation {
  page: string;
  directive: string;
  blocked: string;
}

/** What each page of a context saw that the console's policy refused, from the browser's own reports. */
export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  violations: CspViolation[];
}

/**
 * A fresh browser context (its own cookies: one person) with one page at 1280×800. Every
 * `securitypolicyviolation` the page fires, and every console message in which Chromium names a
 * Content Security Policy refusal, is collected in `violations`.
 */
export async function openConsolePage(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const violations: CspViolation[] = [];
  // A binding and an init script go through the DevTools protocol, which the page's CSP does not govern.
  await context.exposeBinding('__firebreakCspViolation', ({ page }, v: { directive: string; blocked: string }) => {
    violations.push({ page: page.url(), ...v });
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string; blockedURI: string }) => {
      (window as unknown as { __firebreakCspViolation: (v: unknown) => void }).__firebreakCspViolation({
        directive: e.violatedDirective,
        blocked: e.blockedURI,
      });
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push({ page: page.url(), directive: 'console', blocked: message.text() });
  });
  return { context, page, violations };
}

/**
 * Signs `user` in as a person does: the console's "Sign in" link, the provider's login form,
 * back to the console. Waits until the console shows the signed-in shell (its "Sign out" button).
 */
export async function signIn(page: Page, stack: BrowserStack, user: DemoUser, returnTo = '/console/'): Promise<void> {
  await page.goto(`${stack.url}${returnTo}`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === stack.oidcUrl, { timeout: 15_000 });
  await page.locator('#username').fill(user);
  await page.locator('#password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.origin === stack.url && url.pathname.startsWith('/console'), { timeout: 15_000 });
  await page.getByRole('button', { name: 'Sign out' }).waitFor({ timeout: 15_000 });
}

/** The session the console holds, as the console reads it (GET /auth/session with the page's cookie). */
export async function sessionOf(page: Page): Promise<{ status: number; body: any }> {
  return page.evaluate(async () => {
    const res = await fetch('/auth/session', { credentials: 'same-origin' });
    return { status: res.status, body: await res.json().catch(() => undefined) };
  });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[]; failureSummary?: string }>;
}

let axeSource: string | undefined;

/**
 * Runs axe-core on the page as it is now and fails on any serious or critical violation, naming
 * each with the elements it found. The console's CSP forbids inline scripts, so axe is evaluated
 * through the DevTools protocol rather than added as a <script>.
 */
export async function axeCheck(page: Page, view: string): Promise<void> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (serious.length > 0) {
    const list = serious
      .map((v) => `- ${v.impact} ${v.id}: ${v.help}\n${v.nodes.slice(0, 5).map((n) => `    at ${JSON.stringify(n.target)}: ${(n.failureSummary ?? '').replace(/\n/g, ' ')}`).join('\n')}`)
      .join('\n');
    throw new Error(`axe-core found ${serious.length} serious or critical violation(s) on the ${view} view:\n${list}`);
  }
}

/** With FIREBREAK_SCREENSHOTS=1 (`npm run screenshots`), saves the viewport as docs/screenshots/<view>.png. */
export async function screenshot(page: Page, view: string): Promise<void> {
  if (process.env.FIREBREAK_SCREENSHOTS !== '1') return;
  const dir = path.join(ROOT, 'docs/screenshots');
  mkdirSync(dir, { recursive: true });
  // The view as a person opening it sees it: from the top.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(dir, `${view}.png`), fullPage: false, animations: 'disabled' });
}
