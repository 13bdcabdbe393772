import { loadBitext, loadBanking77 } from '../src/ml/datasets';
import { fitRetrievalModel } from '../src/ml/retrieval-model';
const bitext = loadBitext(); const banking = loadBanking77();
const texts = [...bitext.map((r) => r.response), ...Array.from({ length: 5001 }, (_, i) => `${banking[2*i]!.text}\n${banking[2*i+1]!.text}`)].slice(0, 10000);
const t = performance.now();
const m = fitRetrievalModel(texts.map((text, i) => ({ id: `c${i}`, text })), { prior: [] });
console.log('fit', Math.round(performance.now() - t), 'ms', m.denseWeight, m.fit.pseudoQueries, JSON.stringify(m.fit.evidence));
