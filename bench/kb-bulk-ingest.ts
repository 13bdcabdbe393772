/**
 * Bulk ingestion through the product (API → ingestion workflows → the tenant's debounced fit workflow):
 *
 *   npx tsx bench/kb-bulk-ingest.ts [documents] [concurrency]
 *
 * Posts `documents` Markdown documents (ten Bitext answers each, one per section; 100 by default, about 1,000
 * chunks), `concurrency` at a time, waits until every one is ready, then for the tenant's fit workflow. Prints
 * the ingestion time per 1,000 chunks, how many fits the burst cost (one fit per request before), the fit time,
 * and whether the last model covers every chunk. The harness's debounce (quiet 300 ms, at most 5 s) stands in
 * for the product's (10 s, at most 5 min). Figures depend on the machine's load: print `uptime` beside them.
 */
import { findDataDir, loadBitext } from '../src/ml/datasets';
import { kbFitWorkflowId } from '../src/workflows/messages';
import { run, withProduct } from './support';

const count = Number(process.argv[2] ?? 100);
const concurrency = Number(process.argv[3] ?? 8);

run(async () => {
  const rows = loadBitext(findDataDir());
  const documents = Array.from({ length: count }, (_, d) => {
    const sections = rows.slice(d * 10, d * 10 + 10);
    return {
      title: `Guide ${d}`,
      external_id: `bench/guide-${d}.md`,
      content: `# Guide ${d}\n\n${sections.map((row) => `## ${row.instruction}\n\n${row.response}`).join('\n\n')}`,
    };
  });
  await withProduct(async (h) => {
    const tenant = await h.createTenant();
    const started = performance.now();
    for (let from = 0; from < documents.length; from += concurrency) {
      const responses = await Promise.all(
        documents
          .slice(from, from + concurrency)
          .map((body) => h.call('POST', '/v1/kb/documents', { token: tenant.tokens.admin, body })),
      );
      for (const r of responses) if (r.status !== 201) throw new Error(`ingestion answered ${r.status}`);
    }
    // Every document is ready (an API answer can come back before its workflow ends).
    for (;;) {
      const pending = await h
        .db('kb_documents')
        .where({ tenant_id: tenant.id })
        .whereNot({ status: 'ready' })
        .count();
      if (Number(pending[0]!.count) === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ingestedMs = performance.now() - started;
    const fit = await h.client.workflow.getHandle(kbFitWorkflowId(tenant.id)).result();
    const totalMs = performance.now() - started;
    const chunks = Number(
      (await h.db('kb_chunks').where({ tenant_id: tenant.id, is_current: true }).count())[0]!.count,
    );
    const models = await h.db('kb_retrieval_models').where({ tenant_id: tenant.id }).orderBy('version');
    const last = models.at(-1);
    console.log(
      JSON.stringify({
        documents: documents.length,
        concurrency,
        chunks,
        ingestMsPer1000Chunks: Math.round((ingestedMs / chunks) * 1000),
        fitRequests: fit.requests,
        fitsInLastRun: fit.fits,
        modelVersions: models.length,
        lastFit: fit.last,
        lastModelCoversAllChunks: last?.fitted_chunks === chunks,
        untilFittedMs: Math.round(totalMs),
      }),
    );
  });
});
