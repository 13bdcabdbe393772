/**
 * How long one ticket takes from `POST /v1/tickets` to a ready draft (triage recorded), through the real API,
 * Temporal dev server and PostgreSQL. Prints median, p90 and max over N sequential tickets (default 20).
 *   npx tsx bench/ticket-latency.ts [count]
 */
import { percentile as fractionPercentile } from '../src/ml/metrics';
import { run, withProduct } from './support';

const percentile = (sorted: number[], p: number) => fractionPercentile(sorted, p / 100);

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 20);
  await withProduct(async (h) => {
    const tenant = await h.createTenant();
    // One warm-up ticket: the first workflow task also loads the workflow bundle into the worker.
    const samples: number[] = [];
    for (let i = 0; i <= count; i++) {
      const started = performance.now();
      const created = await h.call('POST', '/v1/tickets', {
        token: tenant.tokens.client,
        body: { content: `I was charged twice for invoice ${i}, please refund the duplicate payment` },
      });
      for (;;) {
        const ticket = await h.call('GET', `/v1/tickets/${created.body.id}`, { token: tenant.tokens.agent });
        if (ticket.body.draft) break;
        await new Promise((r) => setTimeout(r, 5));
      }
      if (i > 0) samples.push(performance.now() - started);
    }
    samples.sort((a, b) => a - b);
    const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
    console.log(
      `create → draft ready over ${count} tickets: median ${fmt(percentile(samples, 50))}, p90 ${fmt(percentile(samples, 90))}, max ${fmt(samples[samples.length - 1]!)}`,
    );
    console.log(
      JSON.stringify({
        count,
        median_ms: percentile(samples, 50),
        p90_ms: percentile(samples, 90),
        max_ms: samples[samples.length - 1],
      }),
    );
  });
}

run(main);
