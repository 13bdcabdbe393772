/// <reference lib="dom" />
/**
 * The agent console in a real browser: Debian's Chromium, headless, driven by playwright-core, against the real
 * product (API, worker, Temporal, Postgres from the harness). An agent signs in by pasting a token, sees a new
 * ticket arrive in the queue with its triage, opens it, sends the edited AI draft (first response met),
 * escalates and resolves; an illegal action shows the API's 409; a client token is refused. The run saves
 * screenshots of the queue and the ticket page to .data/screenshots/ (with UPDATE_SCREENSHOTS=1: to docs/screenshots/,
 * the ones the README shows), so a test run leaves the clone clean.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import { CHROMIUM_PATH, launchChromium } from '../helpers/chromium';
import { type Harness, type TestTenant, eventually, startHarness } from '../helpers/harness';

const ROOT = path.join(__dirname, '..', '..');
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? path.join(ROOT, 'docs', 'screenshots')
  : path.join(ROOT, '.data', 'screenshots');
if (!CHROMIUM_PATH) {
  console.warn('console browser tests skipped: no Chromium installed (apt-get install -y chromium)');
}
const describeWithBrowser = CHROMIUM_PATH ? describe : describe.skip;

describeWithBrowser('agent console in Chromium', () => {
  let h: Harness;
  let tenant: TestTenant;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    // The console's static build, made if missing or older than web/ (what `npm start` does too).
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'ensure-web.mjs')], { stdio: 'inherit' });
    h = await startHarness();
    tenant = await h.createTenant({}, 'business');
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(30_000);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await h?.stop();
  });

  async function signIn(token: string, on: Page = page): Promise<void> {
    await on.goto(`${h.url}/console/`);
    await on.getByLabel('Access token').fill(token);
    await on.getByRole('button', { name: 'Sign in' }).click();
  }

  /** A page in a fresh browser context: nothing signed in. */
  async function freshPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    return context.newPage();
  }

  /**
   * Waits for what a step should show; on a timeout the error says what the page showed instead (the alert with
   * the API's answer, say) and a screenshot is saved beside the others, so a failure in CI explains itself.
   */
  async function shown(on: Page, locator: Locator, step: string): Promise<void> {
    try {
      await locator.waitFor();
    } catch (error) {
      const text = await on
        .locator('main')
        .innerText({ timeout: 2000 })
        .catch(() => '(the page could not be read)');
      await on.screenshot({ path: path.join(SCREENSHOTS, `failed-${step}.png`) }).catch(() => undefined);
      const alerts = await on
        .locator('[role=alert], [role=status]')
        .allInnerTexts()
        .catch(() => []);
      throw new Error(
        `${(error as Error).message}\nAlerts on the page: ${JSON.stringify(alerts)}\n` +
          `The page showed instead:\n${text.slice(0, 3000)}`,
      );
    }
  }

  async function create(content: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await h.call('POST', '/v1/tickets', {
      token: tenant.tokens.client,
      body: { content, ...extra },
    });
    expect(res.status).toBe(201);
    return res.body.id;
  }

  test('sign in, see a new ticket arrive triaged, reply with the edited draft, escalate, resolve', async () => {
    // A few tickets already in the queue, so it looks like a working day.
    const others = await Promise.all([
      create('Please add a dark mode to the dashboard, my eyes hurt at night', { priority: 'low' }),
      create('Production is down: every request to the API returns 502 since 09:00', {
        priority: 'critical',
      }),
      create('How do I change the email address on my account?', { email: 'dana@example.com' }),
      create('The invoice PDF for October shows the wrong VAT number', { priority: 'high' }),
    ]);
    const kb = await h.call('POST', '/v1/kb/documents', {
      token: tenant.tokens.admin,
      body: {
        title: 'Exporting reports to CSV',
        external_id: 'kb/export.md',
        content: `# Exporting reports to CSV

Open a report and choose Export, then CSV. Exports with more than one million rows are split into several files.

## The app crashes when I click Export

A crash on Export to CSV comes from an outdated desktop app. Update the app to version 4.2 or later, then export
again. If the app still crashes, clear its cache under Settings → Storage.`,
      },
    });
    expect(kb.status).toBe(201);
    await h.call('POST', `/v1/tickets/${others[1]}/assign`, {
      token: tenant.tokens.agent,
      body: { assignee: 'agent-bob' },
    });

    await signIn(tenant.tokens.agent);
    await page.getByRole('heading', { name: 'Queue' }).waitFor();
    await page.getByTestId('whoami').getByText('agent-alice').waitFor();

    // A new ticket arrives while the agent watches: the queue shows it with its triage, by polling.
    const id = await create('The export to CSV button crashes the app every time I click it', {
      email: 'sam@example.com',
      priority: 'high',
    });
    const row = page.locator(`tr[data-ticket-id="${id}"]`);
    await row.waitFor();
    await eventually(
      async () => (await row.locator('td[data-label="Category"]').innerText()) === 'technical',
      30_000,
      500,
    );
    await expect(row.locator('td[data-label="Status"]').innerText()).resolves.toBe('open');
    await expect(row.locator('td[data-label="Priority"]').innerText()).resolves.toBe('high');
    await expect(row.locator('td[data-label="Tier"]').innerText()).resolves.toBe('business');
    // The SLA countdown runs in the browser: the first-response clock of a high ticket (30 min × 0.75).
    const sla = row.locator('td[data-label="SLA"] .sla');
    await expect(sla.getAttribute('class')).resolves.toContain('sla-on_track');
    const before = await sla.innerText();
    expect(before).toMatch(/on track · (22|21)m \d\ds left/);
    await eventually(async () => (await sla.innerText()) !== before, 5000, 250);
    // Sorted by SLA urgency: the critical ticket (nearest deadline) comes first.
    await eventually(
      async () => (await page.locator('tbody tr').first().getAttribute('data-ticket-id')) === others[1],
      15_000,
      500,
    );
    await page.screenshot({ path: path.join(SCREENSHOTS, 'queue.png') });

    // Open it: triage, draft and clocks are there.
    await row.getByRole('link').click();
    await page.getByRole('heading', { name: 'The export to CSV button crashes the app' }).waitFor();
    const triage = page.getByTestId('triage');
    await expect(triage.innerText()).resolves.toContain('technical');
    await expect(triage.innerText()).resolves.toMatch(/Confidence\s+\d+%/);
    const draft = await page.getByTestId('draft').innerText();
    expect(draft).toContain('4.2');
    // The draft's citation is listed with the knowledge-base passage it came from.
    const source = page.getByRole('list', { name: 'Sources' }).getByRole('listitem').first();
    await expect(source.locator('summary').innerText()).resolves.toContain('Exporting reports to CSV');
    const passage = source.getByText('Update the app to version 4.2');
    await expect(passage.isVisible()).resolves.toBe(false);
    await source.locator('summary').click();
    await passage.waitFor({ state: 'visible' });

    // Keyboard: `a` assigns the ticket to me.
    await page.locator('body').press('a');
    await page.getByTestId('outcome').getByText('Assigned to agent-alice.').waitFor();

    // Reply with the AI draft, edited.
    await page.getByRole('button', { name: 'Use AI draft' }).click();
    const reply = page.getByLabel('Reply to the customer');
    await expect(reply.inputValue()).resolves.toBe(draft);
    await reply.press('End');
    await reply.press('Control+End');
    await reply.type("\n\nSam, a fix is on its way in today's release.");
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.getByTestId('outcome').getByText('Reply sent.').waitFor();
    const sent = `${draft}\n\nSam, a fix is on its way in today's release.`;
    await page
      .locator('.thread .msg-agent .msg-body', { hasText: "Sam, a fix is on its way in today's release." })
      .waitFor();
    const firstResponse = page.getByRole('row', { name: /first response/ });
    await firstResponse.getByText('met').waitFor();
    const afterReply = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    expect(afterReply.body.first_response_at).not.toBeNull();
    expect(afterReply.body.messages).toEqual([
      expect.objectContaining({
        author_type: 'agent',
        author_id: 'agent-alice',
        is_public: true,
        body: sent,
      }),
    ]);

    // Escalate with a reason: the status changes and the timeline says why.
    await page.getByLabel('Escalation reason').fill('Crash blocks the customer month-end reporting');
    await page.getByRole('button', { name: 'Escalate', exact: true }).click();
    await page.getByTestId('outcome').getByText('Escalated.').waitFor();
    await page.locator('.facts .status-escalated').waitFor();
    await page
      .getByTestId('timeline')
      .getByText('reason: Crash blocks the customer month-end reporting')
      .waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'ticket.png'), fullPage: true });

    // Resolve.
    await page.getByLabel('Resolution').fill('Fixed in release 4.2.1');
    await page.getByRole('button', { name: 'Resolve' }).click();
    await page.getByTestId('outcome').getByText('Resolved.').waitFor();
    await page.locator('.facts .status-resolved').waitFor();

    // Escalating a resolved ticket is illegal: the API's 409 is shown as a clear message.
    await page.getByLabel('Escalation reason').fill('one more time');
    await page.getByRole('button', { name: 'Escalate', exact: true }).click();
    const conflict = page.getByTestId('outcome').getByRole('alert');
    await conflict.waitFor();
    await expect(conflict.innerText()).resolves.toMatch(/^Not allowed now: .*escalate/);
    const final = await h.call('GET', `/v1/tickets/${id}`, { token: tenant.tokens.agent });
    expect(final.body).toMatchObject({ status: 'resolved', escalation_level: 1, assignee: 'agent-alice' });
  });

  test("admin pages: SLA policy with the API's validation messages, notification targets, ITSM, knowledge base, report", async () => {
    const admin = await freshPage();
    try {
      await signIn(tenant.tokens.admin, admin);
      await admin.getByRole('link', { name: 'SLA policy' }).click();
      await admin.getByRole('heading', { name: 'SLA policy' }).waitFor();
      // A threshold out of range: the API's field error is shown, nothing saved.
      await admin.getByLabel('Warning thresholds (fractions elapsed)').fill('0.5, 1.5');
      await admin.getByRole('button', { name: 'Save policy' }).click();
      await shown(
        admin,
        admin.getByTestId('field-errors').getByText('warning_thresholds.1'),
        'sla-policy-error',
      );
      expect(
        (await h.call('GET', '/v1/sla-policy', { token: tenant.tokens.admin })).body.warning_thresholds,
      ).toEqual([0.85]);
      // A valid change is saved: high first response 20 minutes, warnings at half and 85%.
      await admin.getByLabel('Warning thresholds (fractions elapsed)').fill('0.5, 0.85');
      await admin.getByLabel('high first response minutes').fill('20');
      await admin.getByRole('button', { name: 'Save policy' }).click();
      await shown(admin, admin.getByText('Saved. New tickets use it'), 'sla-policy-saved');
      const policy = (await h.call('GET', '/v1/sla-policy', { token: tenant.tokens.admin })).body;
      expect(policy.warning_thresholds).toEqual([0.5, 0.85]);
      expect(policy.targets.high.first_response_seconds).toBe(1200);

      await admin.getByRole('link', { name: 'Notifications' }).click();
      await admin.getByLabel('Name').fill('On-call channel');
      await admin.getByLabel('URL').fill('not a url');
      await admin.getByRole('button', { name: 'Add target' }).click();
      await shown(admin, admin.getByTestId('field-errors').getByText('url'), 'notification-url-error');
      // A local address: the outbound policy of tests allows loopback only (and there is no DNS here).
      await admin.getByLabel('URL').fill('http://127.0.0.1:9/services/T000/B000/XXXX');
      await admin.getByRole('button', { name: 'Add target' }).click();
      await admin.getByRole('cell', { name: 'On-call channel', exact: true }).waitFor();
      // The stored URL is shown only in part.
      await expect(
        admin.getByRole('table', { name: 'Notification targets' }).innerText(),
      ).resolves.not.toContain('XXXX');

      await admin.getByRole('link', { name: 'ITSM' }).click();
      await admin.getByText('Not connected').waitFor();
      await admin.getByLabel('Base URL').fill('http://127.0.0.1:9');
      await admin.getByRole('button', { name: 'Save connection' }).click();
      await admin
        .getByTestId('field-errors')
        .locator('code', { hasText: /^credentials/ })
        .first()
        .waitFor();

      await admin.getByRole('link', { name: 'Knowledge base' }).click();
      await admin.getByRole('cell', { name: /^Exporting reports to CSV/ }).waitFor();

      await admin.getByRole('link', { name: 'SLA report' }).click();
      await admin.getByRole('img', { name: 'By priority: met and breached SLA clocks' }).waitFor();
      await admin
        .getByRole('table', { name: 'By priority' })
        .getByRole('rowheader', { name: 'high' })
        .waitFor();
    } finally {
      await admin.context().close();
    }
  });

  test('a client token is refused', async () => {
    const fresh = await freshPage();
    try {
      await signIn(tenant.tokens.client, fresh);
      const refused = fresh.getByRole('alert');
      await refused.waitFor();
      await expect(refused.innerText()).resolves.toContain(
        'Access refused: this console is for agents and admins',
      );
      await expect(fresh.getByRole('heading', { name: 'Queue' }).count()).resolves.toBe(0);
      expect(await fresh.evaluate(() => sessionStorage.length)).toBe(0);
    } finally {
      await fresh.context().close();
    }
  });

  test("a forged token is refused with the API's reason", async () => {
    const fresh = await freshPage();
    await signIn(`${tenant.tokens.agent.slice(0, -4)}AAAA`, fresh);
    await expect(fresh.getByRole('alert').innerText()).resolves.toMatch(/^Unauthorized: /);
    await fresh.context().close();
  });

  test('signed in from the URL fragment at phone width: the queue becomes cards without sideways scrolling', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true });
    try {
      // Signed in by an identity provider's redirect: the token arrives in the URL fragment and leaves it.
      await phone.goto(`${h.url}/console/#access_token=${tenant.tokens.agent}`);
      await phone.locator('tbody tr').first().waitFor();
      expect(phone.url()).toBe(`${h.url}/console/`);
      const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
      // Each field carries its label as the table header is hidden.
      const label = await phone
        .locator('tbody tr td[data-label="Status"]')
        .first()
        .evaluate((td) => getComputedStyle(td, '::before').content);
      expect(label).toBe('"Status"');
      await phone.screenshot({ path: path.join(SCREENSHOTS, 'queue-phone.png') });
    } finally {
      await phone.close();
    }
  });
});
