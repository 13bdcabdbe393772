/**
 * Per-tenant fairness of triage: one tenant posts a burst of tickets, and while the burst is being triaged a
 * second tenant posts a few; prints how long the second tenant's tickets wait for triage beside the burst's own
 * figures. With one first-in-first-out queue the second tenant waits for the whole burst; with fairness it waits
 * about as long as a ticket on an idle system.
 *   npx tsx bench/fairness.ts [burst=300] [quiet=5]
 */
import { CUSTOMER_TIERS } from '../src/domain/vocabulary';
import { percentile } from '../src/ml/metrics';
import type { Harness } from '../test/helpers/harness';
import { run, withProduct } from './support';

const UNTRIAGED = ['new', 'triaging'];

async function main(): Promise<void> {
  const burst = Number(process.argv[2] ?? 300);
  const quietCount = Number(process.argv[3] ?? 5);
  await withProduct(
    async (h) => {
      const noisy = await h.createTenant();
      const quiet = await h.createTenant();
      const post = async (token: string, i: number) => {
        const created = await h.call('POST', '/v1/tickets', {
          token,
          body: { content: `My invoice ${i} shows the wrong amount, the export to csv also fails` },
        });
        if (created.status !== 201) throw new Error(`create answered ${created.status}`);
        return created.body.id as string;
      };
      // Warm-up: the first workflow task loads the bundle.
      await waitTriaged(h, [await post(quiet.tokens.client, -1)]);

      const started = performance.now();
      let next = 0;
      const posting = Promise.all(
        Array.from({ length: 20 }, async () => {
          while (next < burst) await post(noisy.tokens.client, next++);
        }),
      );
      // The quiet tenant's tickets arrive while the burst is queued, one per second.
      await new Promise((r) => setTimeout(r, 2000));
      const quietAcks: number[] = [];
      const quietWaits = await Promise.all(
        Array.from({ length: quietCount }, async (_, i) => {
          await new Promise((r) => setTimeout(r, i * 1000));
          const postedAt = performance.now();
          const id = await post(quiet.tokens.client, i);
          quietAcks.push(performance.now() - postedAt);
          await waitTriaged(h, [id]);
          return performance.now() - postedAt;
        }),
      );
      await posting;
      const postedMs = performance.now() - started;
      await waitTenantTriaged(h, noisy.id, burst);
      const burstMs = performance.now() - started;
      quietWaits.sort((a, b) => a - b);
      const figures = {
        burst,
        burst_posted_ms: Math.round(postedMs),
        burst_triaged_ms: Math.round(burstMs),
        quiet_tickets: quietCount,
        quiet_wait_p50_ms: Math.round(percentile(quietWaits, 0.5)),
        quiet_wait_max_ms: Math.round(quietWaits[quietWaits.length - 1]!),
        quiet_ack_p50_ms: Math.round(
          percentile(
            quietAcks.sort((a, b) => a - b),
            0.5,
          ),
        ),
      };
      console.log(
        `burst of ${burst} from one tenant: posted in ${(postedMs / 1000).toFixed(1)} s, triaged in ${(burstMs / 1000).toFixed(1)} s; ` +
          `another tenant's ${quietCount} tickets meanwhile waited for triage p50 ${(figures.quiet_wait_p50_ms / 1000).toFixed(1)} s, max ${(figures.quiet_wait_max_ms / 1000).toFixed(1)} s (of which the API's 201: p50 ${(figures.quiet_ack_p50_ms / 1000).toFixed(1)} s)`,
      );
      console.log(JSON.stringify(figures));
    },
    { env: { RATE_LIMITS: CUSTOMER_TIERS.map((tier) => `${tier}:0`).join(',') } },
  );
}

async function waitTriaged(h: Harness, ids: string[]): Promise<void> {
  for (;;) {
    const rows = await h.db('tickets').whereIn('id', ids).select('status');
    if (rows.length === ids.length && rows.every((r) => !UNTRIAGED.includes(r.status))) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitTenantTriaged(h: Harness, tenantId: string, count: number): Promise<void> {
  for (;;) {
    const [row] = await h
      .db('tickets')
      .where({ tenant_id: tenantId })
      .whereNotIn('status', UNTRIAGED)
      .count({ n: '*' });
    if (Number(row?.n) >= count) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

run(main);
