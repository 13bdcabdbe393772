/// <reference lib="dom" />
/**
 * The agent console's queue with N tickets (default 1,000) in the tenant: rows are inserted directly and their
 * mirror written through the ticket repository, with SLA clocks started at spread-out times (some breached, some
 * at risk, most on track); then Chromium loads the queue page again and again. Prints the API time of one queue page and the page load time
 * (navigation → the first 50 rows rendered, sorted by SLA urgency), median and p90, and the time to page on.
 *   npx tsx bench/console-queue.ts [tickets] [loads]
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { percentile } from '../src/ml/metrics';
import { DEFAULT_SLA_POLICY, startClock } from '../src/domain/sla';
import { TicketRepository } from '../src/stores/ticket-repository';
import { launchChromium } from '../test/helpers/chromium';
import { run, withProduct } from './support';

const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
const STATUSES = ['open', 'in_progress', 'pending_customer', 'escalated'] as const;
const CATEGORIES = ['billing', 'technical', 'feature_request'];

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { median_ms: Math.round(percentile(sorted, 0.5)), p90_ms: Math.round(percentile(sorted, 0.9)) };
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const loads = Number(process.argv[3] ?? 15);
  execFileSync(process.execPath, [path.join(__dirname, '..', 'scripts', 'ensure-web.mjs')], {
    stdio: 'inherit',
  });
  await withProduct(async (h) => {
    const tenant = await h.createTenant({}, 'business');
    const repo = new TicketRepository(h.appDb, h.db);
    const now = Date.now();
    const insertStarted = performance.now();
    const insert = async (i: number) => {
      const priority = PRIORITIES[i % 4]!;
      // Inserted already marked as started: no workflow runs for these rows (the outbox relay leaves them alone).
      const id = crypto.randomUUID();
      await h.db('tickets').insert({
        id,
        tenant_id: tenant.id,
        title: `Bench ticket ${i}: the export page times out for our team`,
        content: `Ticket ${i} of the console benchmark.`,
        priority,
        priority_pinned: true,
        customer_tier: 'business',
        source: 'api',
        created_by: 'bench',
        request_hash: String(i),
        workflow_id: `ticket-${id}`,
        workflow_started_at: new Date(),
        status: 'new',
      });
      const target = DEFAULT_SLA_POLICY.targets[priority];
      // Started between 0 and 10 hours ago: a mix of breached, at-risk and on-track clocks.
      const startedAt = now - ((i * 7919) % 36_000) * 1000;
      const status = STATUSES[i % STATUSES.length]!;
      await repo.writeMirror(tenant.id, id, 1, {
        status,
        priority,
        category: CATEGORIES[i % 3]!,
        assignee: i % 3 === 0 ? null : `agent-${i % 7}`,
        escalation_level: status === 'escalated' ? 1 : 0,
        reopen_count: 0,
        first_response_at: null,
        resolved_at: null,
        closed_at: null,
        sla_state: 'on_track',
        sla_clocks: {
          clocks: {
            first_response: startClock('first_response', target.first_response_seconds * 750, startedAt),
            next_reply: null,
            resolution: startClock('resolution', target.resolution_seconds * 750, startedAt),
          },
          warning_thresholds: [0.85],
          calendar: null,
        },
      });
    };
    for (let i = 0; i < count; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, count - i) }, (_, k) => insert(i + k)));
    }
    console.log(`inserted ${count} tickets in ${((performance.now() - insertStarted) / 1000).toFixed(1)} s`);

    const queueUrl =
      '/v1/tickets?status=new,triaging,open,ai_failed,in_progress,pending_customer,pending_vendor,escalated&sort=sla&limit=50';
    const api: number[] = [];
    for (let i = 0; i < loads; i++) {
      const started = performance.now();
      const res = await h.call('GET', queueUrl, { token: tenant.tokens.agent });
      if (res.status !== 200 || res.body.items.length !== 50) throw new Error(`queue answered ${res.status}`);
      api.push(performance.now() - started);
    }

    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${h.url}/console/`);
      await page.getByLabel('Access token').fill(tenant.tokens.agent);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('tbody tr').nth(49).waitFor();
      const pageLoads: number[] = [];
      // Inside the browser: when the page was parsed, when the queue's data arrived, when the rows were there.
      const inBrowser = {
        dom_ready: [] as number[],
        data_arrived: [] as number[],
        rows_rendered: [] as number[],
      };
      for (let i = 0; i < loads; i++) {
        const started = performance.now();
        await page.goto(`${h.url}/console/`);
        await page.locator('tbody tr').nth(49).waitFor();
        pageLoads.push(performance.now() - started);
        const t = await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const data = performance
            .getEntriesByType('resource')
            .find((r) => r.name.includes('/v1/tickets?')) as PerformanceResourceTiming | undefined;
          return {
            dom: nav.domContentLoadedEventEnd,
            data: data?.responseEnd ?? NaN,
            now: performance.now(),
          };
        });
        inBrowser.dom_ready.push(t.dom);
        inBrowser.data_arrived.push(t.data);
        inBrowser.rows_rendered.push(t.now);
      }
      const nextPage: number[] = [];
      for (let i = 0; i < Math.min(10, Math.floor(count / 50) - 1); i++) {
        const first = await page.locator('tbody tr').first().getAttribute('data-ticket-id');
        const started = performance.now();
        await page.getByRole('button', { name: 'Next' }).click();
        await page.waitForFunction(
          (id) => document.querySelector('tbody tr')?.getAttribute('data-ticket-id') !== id,
          first,
        );
        nextPage.push(performance.now() - started);
      }
      const result = {
        tickets: count,
        loads,
        api_queue_page: stats(api),
        page_load: stats(pageLoads),
        in_browser: {
          dom_ready: stats(inBrowser.dom_ready),
          queue_data_arrived: stats(inBrowser.data_arrived),
          rows_rendered: stats(inBrowser.rows_rendered),
        },
        load_average: os.loadavg().map((l) => Math.round(l * 10) / 10),
        next_page: stats(nextPage),
      };
      console.log(
        `queue with ${count} tickets: API page of 50 median ${result.api_queue_page.median_ms} ms (p90 ${result.api_queue_page.p90_ms}); ` +
          `page load to 50 rows median ${result.page_load.median_ms} ms (p90 ${result.page_load.p90_ms}); ` +
          `next page median ${result.next_page.median_ms} ms`,
      );
      console.log(JSON.stringify(result));
    } finally {
      await browser.close();
    }
  });
}

run(main);
