import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadBanking77, loadBitext } from '../../src/ml/datasets';
import {
  type LsaEmbedder,
  createLsaEmbedder,
  createSparseEncoder,
  loadLsaEmbedder,
  lsaFromJSON,
  lsaToJSON,
  trainLsa,
} from '../../src/ml/embedding';
import { HybridIndex, buildBitextFaq, evaluateRetrieval } from '../../src/ml/evaluation';
import { fnv1a32 } from '../../src/ml/text';
import { dot } from '../../src/ml/ranking';

// The embeddings are unit vectors, so their dot product is the cosine.
const cosine = dot;

// A small corpus keeps the test fast: 1,500 Bitext request+answer pairs and 1,500 BANKING77 queries.
const bitext = loadBitext();
const corpus = [
  ...bitext.filter((_, i) => i % 3 === 0).map((row) => `${row.instruction}\n${row.response}`),
  ...loadBanking77()
    .filter((_, i) => i % 7 === 0)
    .map((example) => example.text),
];
const lsaOptions = { dimensions: 48 };
const embedder: LsaEmbedder = createLsaEmbedder(trainLsa(corpus, lsaOptions));

describe('LSA embedder', () => {
  it('returns L2-normalised vectors of the announced size', async () => {
    const [vector] = await embedder.embed(['I want my money back']);
    expect(vector).toHaveLength(embedder.dimensions);
    expect(embedder.dimensions).toBe(48);
    expect(Math.hypot(...vector!)).toBeCloseTo(1, 6);
    expect(embedder.model).toBe('offline-lsa-48-v1');
  });

  it('places related requests closer than unrelated ones, even without shared words', () => {
    const [forgot, credentials, parcel, shipment, refund] = embedder.embedSync([
      'I forgot my password and cannot sign in',
      'reset my login credentials',
      'when will my parcel be delivered',
      'shipment status',
      'how do I get a refund',
    ]);
    expect(cosine(forgot!, credentials!)).toBeGreaterThan(0.5);
    expect(cosine(forgot!, credentials!)).toBeGreaterThan(cosine(forgot!, parcel!) + 0.3);
    expect(cosine(parcel!, shipment!)).toBeGreaterThan(cosine(parcel!, refund!) + 0.3);
    expect(cosine(parcel!, shipment!)).toBeGreaterThan(cosine(parcel!, credentials!) + 0.3);
  });

  it('gives a zero vector to text with no known word', () => {
    const [vector] = embedder.embedSync(['qwxz zzyq']);
    expect(vector!.every((value) => value === 0)).toBe(true);
  });

  it('is deterministic: the same corpus and options give the same model', () => {
    const again = trainLsa(corpus, lsaOptions);
    expect(JSON.stringify(lsaToJSON(again))).toBe(JSON.stringify(lsaToJSON(embedder.lsa)));
  });

  it('round-trips through JSON and the disk cache', () => {
    const restored = createLsaEmbedder(lsaFromJSON(JSON.parse(JSON.stringify(lsaToJSON(embedder.lsa)))));
    expect(restored.embedSync(['refund please'])).toEqual(embedder.embedSync(['refund please']));

    const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lsa-cache-'));
    try {
      const small = corpus.slice(0, 400);
      const first = loadLsaEmbedder({ cacheDir, corpus: small, lsa: { dimensions: 8 } });
      const second = loadLsaEmbedder({ cacheDir, corpus: small, lsa: { dimensions: 8 } });
      expect(first.fromCache).toBe(false);
      expect(second.fromCache).toBe(true);
      expect(second.embedder.embedSync(['track my order'])).toEqual(
        first.embedder.embedSync(['track my order']),
      );
      const changed = loadLsaEmbedder({
        cacheDir,
        corpus: [...small, 'one more document'],
        lsa: { dimensions: 8 },
      });
      expect(changed.fromCache).toBe(false);
    } finally {
      fs.rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('sparse encoder', () => {
  const encoder = createSparseEncoder();

  it('uses hashed stems as ids, sorted, without function words', () => {
    const vector = encoder.encode('The refunds and the refund', 'query');
    expect(vector).toEqual({ indices: [fnv1a32('refund')], values: [2] });
  });

  it('saturates document term frequency (BM25, k1 = 1.2) and normalises by length', () => {
    const once = encoder.encode('refund', 'document').values[0]!;
    const many = encoder.encode('refund refund refund refund refund refund', 'document').values[0]!;
    expect(many).toBeGreaterThan(once);
    expect(many).toBeLessThan(2.2); // k1 + 1 bounds it
    const short = createSparseEncoder({ averageDocumentLength: 10 });
    const inLongDoc = short.encode(`refund ${'word '.repeat(40)}`, 'document');
    const inShortDoc = short.encode('refund word', 'document');
    const weightOf = (v: { indices: number[]; values: number[] }) =>
      v.values[v.indices.indexOf(fnv1a32('refund'))]!;
    expect(weightOf(inLongDoc)).toBeLessThan(weightOf(inShortDoc));
  });
});

describe('HybridIndex', () => {
  const documents = [
    {
      id: 'refund',
      title: 'Refunds',
      text: 'How to request a refund of a payment and when the money is returned',
    },
    { id: 'password', title: 'Password reset', text: 'Reset a forgotten password from the sign in page' },
    {
      id: 'delivery',
      title: 'Delivery times',
      text: 'Parcels are delivered within three to five working days',
    },
    { id: 'invoice', title: 'Invoices', text: 'Download invoices and receipts from the billing page' },
  ];

  it('ranks the matching document first in every mode', async () => {
    const index = new HybridIndex(embedder);
    await index.add(documents);
    expect(index.size).toBe(4);
    for (const mode of ['bm25', 'dense', 'hybrid'] as const) {
      const hits = await index.search('I forgot my password', { mode, limit: 2 });
      expect(hits[0]!.id).toBe('password');
      expect(hits.length).toBeLessThanOrEqual(2);
    }
  });

  it('finds by meaning in dense mode when no word is shared', async () => {
    const index = new HybridIndex(embedder);
    await index.add(documents);
    expect(await index.search('money back please', { mode: 'bm25' })).not.toEqual(
      expect.arrayContaining([expect.objectContaining({ id: 'delivery' })]),
    );
    const dense = await index.search('when does my parcel arrive', { mode: 'dense', limit: 1 });
    expect(dense[0]!.id).toBe('delivery');
  });

  it('weighs rare terms more (IDF over the indexed documents)', async () => {
    const index = new HybridIndex(embedder);
    await index.add([
      { id: 'common', text: 'account account settings' },
      { id: 'rare', text: 'account webhook' },
      { id: 'other', text: 'account profile' },
    ]);
    const hits = index.bm25('account webhook');
    expect(hits[0]!.id).toBe('rare');
  });

  it('retrieves a Bitext FAQ at least as well with hybrid as with BM25 alone', async () => {
    const faq = buildBitextFaq(bitext, 0.2, 3);
    const queries = faq.queries.filter((_, i) => i % 4 === 0);
    const index = new HybridIndex(embedder);
    await index.add(faq.documents);
    const bm25 = await evaluateRetrieval(index, queries, 'bm25');
    const hybrid = await evaluateRetrieval(index, queries, 'hybrid');
    expect(bm25.recallAt5).toBeGreaterThan(0.6);
    expect(hybrid.mrr).toBeGreaterThanOrEqual(bm25.mrr - 0.02);
  });
});
