import type { Browser, Locator, Page } from 'playwright-core';
import { waitFor } from '../../src/net';
import { launchChromium } from './support/chromium';
import { axeCheck, openConsolePage, screenshot, signIn, type ConsolePage } from './support/console';
import { postAlert, startBrowserStack, type BrowserStack } from './support/stack';

// Functions passed to page.evaluate run in the page; the project's type-check has no DOM library.
declare const document: any;

/** How soon a change must be on screen, without a reload (the 2 s). */
const LIVE_MS = 2_000;

/** Decisions only a manager may make: a responder must not even see their buttons. */
const MANAGER_ONLY = ['Submit assessment', 'Approve containment', 'Refuse containment', 'Assign role', 'Record review', 'Close incident'];

/** Presses Tab until `target` has the focus; fails when it never does (the control is not reachable by keyboard). */
async function tabTo(page: Page, target: Locator, max = 150): Promise<void> {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
  }
  throw new Error(`${String(target)} never got the focus in ${max} presses of Tab`);
}

/** The first object anywhere in `value` for which `test` holds. */
function findDeep(value: unknown, test: (v: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  if (!Array.isArray(value) && test(value as Record<string, unknown>)) return value as Record<string, unknown>;
  for (const child of Object.values(value)) {
    const found = findDeep(child, test);
    if (found) return found;
  }
  return undefined;
}

const phase = (page: Page) => page.getByText(/^Phase: /).first().textContent();
const form = (page: Page, name: string) => page.getByRole('form', { name, exact: true });

/**
 * An incident's life in the console, in a real headless Chromium against the stack as `make up`
 * starts it: alerts come from an integration over HTTP with its key, people act in the browser.
 */
describe('the console in a browser: incidents from alert to closed, live, by role, audited, reported', () => {
  let stack: BrowserStack;
  let browser: Browser;
  const opened: ConsolePage[] = [];
  /** The incident the manager walks to closed; the auditor and the CISO look at it afterwards. */
  let walkedId: string;
  const walkedTitle = 'Credential dumping on web-01';
  const exposedTitle = 'Customer table readable from a public bucket';

  beforeAll(async () => {
    // The browser first: without Chromium the suite stops in a second, not after starting a stack.
    browser = await launchChromium();
    stack = await startBrowserStack();
    // A queue with something in it besides the incident under test.
    await postAlert(stack, 'Beaconing to a known C2 from build-07', 'critical');
    await postAlert(stack, 'Impossible travel for j.doe', 'medium');
    const leak = await postAlert(stack, 'Mass download from the HR share', 'low');
    // Regulators' clocks on it, one filed in time and one still running, for the CISO's report.
    const anHourAgo = new Date(Date.now() - 3_600_000).toISOString();
    for (const [route, body] of [
      ['regimes', { regime: 'gdpr_art33', startedAt: anHourAgo }],
      ['regimes', { regime: 'nis2_art23', startedAt: anHourAgo }],
      ['filings', { regime: 'gdpr_art33', stage: 'notification', reference: 'DPA-2026-118' }],
    ] as const) {
      const res = await stack.api('POST', `/v1/incidents/${leak}/${route}`, 'manager', body);
      // A 500 says only that the error was logged: the stack's log says what it was.
      if (res.status !== 200) throw new Error(`POST ${route} answered ${res.status}: ${JSON.stringify(res.body)}\n${stack.loggedErrors().slice(-5).join('\n')}`);
    }
    // Learnt of four days ago: its GDPR notification (72 h) is overdue from the start.
    const exposed = await postAlert(stack, exposedTitle, 'medium');
    const fourDaysAgo = new Date(Date.now() - 4 * 86_400_000).toISOString();
    const late = await stack.api('POST', `/v1/incidents/${exposed}/regimes`, 'manager', { regime: 'gdpr_art33', startedAt: fourDaysAgo });
    if (late.status !== 200) throw new Error(`POST regimes answered ${late.status}: ${JSON.stringify(late.body)}`);
  }, 200_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 60_000);

  async function person(user: Parameters<typeof signIn>[2], returnTo?: string): Promise<ConsolePage> {
    const consolePage = await openConsolePage(browser);
    opened.push(consolePage);
    await signIn(consolePage.page, stack, user, returnTo);
    return consolePage;
  }

  afterEach(async () => {
    const pages = opened.splice(0);
    const violations = pages.flatMap((p) => p.violations);
    await Promise.all(pages.map((p) => p.context.close()));
    expect(violations).toEqual([]);
  });

  it('shows the queue, and a new alert appears in it without a reload', async () => {
    const { page } = await person('manager');
    await page.getByRole('heading', { level: 1, name: 'Incidents' }).waitFor();
    await page.getByRole('link', { name: 'Beaconing to a known C2 from build-07' }).waitFor({ timeout: 10_000 });
    for (const filter of ['Phase', 'Severity', 'Source']) expect(await page.getByLabel(filter, { exact: true }).count()).toBe(1);
    for (const check of ['Overdue only', 'Mine only']) expect(await page.getByRole('checkbox', { name: check }).count()).toBe(1);
    await axeCheck(page, 'queue');

    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    const posted = Date.now();
    walkedId = await postAlert(stack, walkedTitle, 'high');
    await page.getByRole('link', { name: walkedTitle }).waitFor({ timeout: LIVE_MS + 1_000 });
    const shownAfter = Date.now() - posted;
    expect(shownAfter).toBeLessThan(LIVE_MS);
    expect(navigations).toEqual([]);

    // The overdue incident stands out; the others do not.
    const rowOf = (title: string) => page.getByRole('row').filter({ has: page.getByRole('link', { name: title, exact: true }) });
    await waitFor('the overdue row', async () => expect(await rowOf(exposedTitle).getAttribute('class')).toMatch(/\boverdue\b/), 10_000, 200);
    expect(await rowOf(exposedTitle).textContent()).toContain('overdue');
    expect((await rowOf('Impossible travel for j.doe').getAttribute('class')) ?? '').not.toMatch(/\boverdue\b/);
    await screenshot(page, 'queue');

    await page.getByRole('checkbox', { name: 'Overdue only' }).check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('link', { name: exposedTitle }).waitFor({ timeout: 5_000 });
    await page.getByRole('link', { name: 'Impossible travel for j.doe' }).waitFor({ state: 'detached', timeout: 5_000 });
    expect(await page.getByRole('link', { name: exposedTitle }).count()).toBe(1);
    expect(new URL(page.url()).searchParams.get('overdue')).toBe('1');
  });

  it('walks the incident from alert to closed entirely through the console, as the manager', async () => {
    const { page } = await person('manager');
    await page.getByRole('link', { name: walkedTitle }).click();
    await page.getByRole('heading', { level: 1, name: walkedTitle }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/incidents/${walkedId}`);
    expect(await phase(page)).toBe('Phase: detected');
    const waiting = page.getByRole('region', { name: 'Waiting for' });
    expect(await waiting.textContent()).toMatch(/Waiting for .+ from .+; escalates to .+ at .+/);
    await axeCheck(page, 'incident');

    await form(page, 'Acknowledge').getByRole('button', { name: 'Acknowledge' }).click();
    await page.getByText('Phase: triage').waitFor();

    const assessment = form(page, 'Assessment');
    await assessment.getByLabel('Category').fill('credential-theft');
    await assessment.getByLabel('Strategy').selectOption('evidence_first');
    await assessment.getByRole('button', { name: 'Submit assessment' }).click();
    await page.getByText('Phase: response').waitFor();

    // Evidence first; then the destructive containment waits for this manager's approval (a SEV2).
    const approve = page.getByRole('button', { name: 'Approve containment' });
    await waitFor('the containment approval to be asked for', async () => expect(await approve.isEnabled()).toBe(true), 60_000, 250);
    expect(await waiting.textContent()).toMatch(/Waiting for .+ from .+/);
    await axeCheck(page, 'incident (response)');
    await screenshot(page, 'incident');
    await approve.click();
    await page.getByRole('status').filter({ hasText: 'Approve containment: recorded.' }).or(page.getByText('Phase: review')).first().waitFor({ timeout: 30_000 });
    expect(await page.getByRole('alert').count()).toBe(0);

    // Containment, verification and recovery run by themselves; the page follows them live.
    await page.getByText('Phase: review').waitFor({ timeout: 120_000 });
    const review = form(page, 'Post-incident review');
    await review.getByLabel('Lessons learned').fill('EDR exclusions hid the dropper');
    await review.getByRole('button', { name: 'Record review' }).click();
    await review.getByRole('status').waitFor();

    const close = form(page, 'Close');
    await close.getByLabel('Summary').fill('host rebuilt, credentials rotated');
    await close.getByRole('button', { name: 'Close incident' }).click();
    await page.getByText('Phase: closed').waitFor();

    // The decisions name the person the provider vouched for, with the second factor it stated.
    const audit = await stack.api('GET', `/v1/incidents/${walkedId}/audit`, 'auditor');
    expect(audit.status).toBe(200);
    const approval = findDeep(audit.body, (e) => e.action === 'approveContainment');
    expect(approval).toMatchObject({ actor: 'Morgan Manager', actorRole: 'manager', details: { keyId: 'oidc:manager', person: { subject: 'manager', issuer: stack.oidcUrl, mfa: true } } });
    const state = await stack.api('GET', `/v1/incidents/${walkedId}`, 'auditor');
    expect(state.body.phase).toBe('closed');
  }, 240_000);

  it('changes the incident page within 2 s when a decision is made elsewhere, without a reload', async () => {
    const id = await postAlert(stack, 'Suspicious PowerShell on fin-03', 'high');
    const { page } = await person('manager', `/console/incidents/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Suspicious PowerShell on fin-03' }).waitFor();
    expect(await phase(page)).toBe('Phase: detected');
    const navigations: string[] = [];
    page.on('framenavigated', (frame) => frame === page.mainFrame() && navigations.push(frame.url()));
    const decided = Date.now();
    expect((await stack.api('POST', `/v1/incidents/${id}/acknowledge`, 'manager', {})).status).toBe(200);
    await page.getByText('Phase: triage').waitFor({ timeout: LIVE_MS + 1_000 });
    expect(Date.now() - decided).toBeLessThan(LIVE_MS);
    expect(navigations).toEqual([]);
    // The acknowledge form now says why it is closed to this incident, rather than inviting a 409.
    expect(await form(page, 'Acknowledge').getByRole('button', { name: 'Acknowledge' }).isDisabled()).toBe(true);
  });

  it('shows a responder no manager-only control', async () => {
    const id = await postAlert(stack, 'Phishing link clicked by a.smith', 'medium');
    const { page } = await person('responder', `/console/incidents/${id}`);
    await page.getByRole('heading', { level: 1, name: 'Phishing link clicked by a.smith' }).waitFor();
    // What a responder may do is there …
    for (const name of ['Acknowledge', 'Add note', 'Escalate', 'Add observable']) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(1);
    // … and nothing only a manager may do, not even disabled.
    for (const name of MANAGER_ONLY) expect(await page.getByRole('button', { name, exact: true }).count()).toBe(0);
  });

  it('shows the 409 reason at the form when someone else acted first', async () => {
    const id = await postAlert(stack, 'Ransom note on file server fs-02', 'critical');
    // The responder's page hears of no change (its stream is cut), as when the change lands between
    // reading the page and pressing the button.
    const responder = await openConsolePage(browser);
    opened.push(responder);
    await responder.context.route('**/v1/events', (route) => route.abort());
    await signIn(responder.page, stack, 'responder', `/console/incidents/${id}`);
    await responder.page.getByRole('heading', { level: 1, name: 'Ransom note on file server fs-02' }).waitFor();

    const { page: managerPage } = await person('manager', `/console/incidents/${id}`);
    await form(managerPage, 'Acknowledge').getByRole('button', { name: 'Acknowledge' }).click();
    await managerPage.getByText('Phase: triage').waitFor();

    const ack = form(responder.page, 'Acknowledge');
    await ack.getByRole('button', { name: 'Acknowledge' }).click();
    const problem = ack.getByRole('alert');
    await problem.waitFor();
    expect(await problem.textContent()).toMatch(/^409 · /);
    // No other form shows it: the reason is where the person acted.
    expect(await responder.page.getByRole('alert').count()).toBe(1);
  });

  it('can be driven by keyboard alone: the queue, an incident, a decision', async () => {
    const title = 'Keyboard-only check on db-09';
    const id = await postAlert(stack, title, 'medium');
    const { page } = await person('manager');
    const link = page.getByRole('link', { name: title });
    await link.waitFor({ timeout: 10_000 });
    await tabTo(page, link);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/console/incidents/${id}`);
    await tabTo(page, page.getByRole('button', { name: 'Acknowledge', exact: true }));
    await page.keyboard.press('Enter');
    await page.getByText('Phase: triage').waitFor();
  });

  it('lets the auditor verify the chain, replay the history and download it', async () => {
    const { page } = await person('auditor', `/console/incidents/${walkedId}/audit`);
    await page.getByRole('button', { name: 'Verify audit chain' }).click();
    await page.getByRole('status').filter({ hasText: /^Chain (verified|broken)/ }).waitFor({ timeout: 30_000 });
    expect(await page.getByRole('status').filter({ hasText: /^Chain verified/ }).count()).toBeGreaterThan(0);

    await page.getByRole('button', { name: 'Replay' }).click();
    await page.getByRole('status').filter({ hasText: /^Replay (matched|diverged)/ }).first().waitFor({ timeout: 90_000 });
    expect(await page.getByRole('status').filter({ hasText: /^Replay matched/ }).count()).toBeGreaterThan(0);
    expect(await page.getByRole('status').filter({ hasText: /^Replay diverged/ }).count()).toBe(0);

    const download = page.getByRole('link', { name: 'Download history' });
    const href = await download.getAttribute('href');
    expect(href).toBeTruthy();
    const history = await page.evaluate(async (url: string) => {
      const res = await fetch(url, { credentials: 'same-origin' });
      return { status: res.status, text: await res.text() };
    }, href!);
    expect(history.status).toBe(200);
    expect(history.text).toContain('WORKFLOW_EXECUTION_STARTED');
    await axeCheck(page, 'auditor');
    await screenshot(page, 'auditor');
  }, 150_000);

  it("draws the CISO's charts", async () => {
    const { page } = await person('ciso');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { level: 1, name: 'Summary report' }).waitFor();
    for (const name of ['MTTA by severity', 'MTTC by severity', 'MTTR by severity', 'SLA breaches', 'Regulatory deadlines']) {
      const canvas = page.getByRole('img', { name, exact: true });
      await canvas.waitFor({ timeout: 15_000 });
      expect(await canvas.evaluate((el) => el.tagName)).toBe('CANVAS');
      // Drawn: a size on screen, and pixels that are not all transparent.
      await waitFor(`the chart ${name}`, async () => {
        const drawn = await canvas.evaluate((el: any) => {
          const width: number = el.width;
          const height: number = el.height;
          if (!width || !height) return { width, height, painted: 0 };
          const data: Uint8ClampedArray = el.getContext('2d').getImageData(0, 0, width, height).data;
          let painted = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
          return { width, height, painted };
        });
        expect(drawn.width).toBeGreaterThan(0);
        expect(drawn.height).toBeGreaterThan(0);
        expect(drawn.painted).toBeGreaterThan(0);
      }, 10_000, 200);
      const box = await canvas.boundingBox();
      expect(box!.width).toBeGreaterThan(0);
      expect(box!.height).toBeGreaterThan(0);
    }
    // Every chart has its data as a table too, for those who cannot see it.
    expect(await page.locator('details > summary', { hasText: 'Data' }).count()).toBeGreaterThanOrEqual(5);
    expect(await page.locator('details table').count()).toBeGreaterThanOrEqual(5);
    await axeCheck(page, 'reports');
    await screenshot(page, 'reports');
  });
});
