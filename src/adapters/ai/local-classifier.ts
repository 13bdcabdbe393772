/**
 * A small, deterministic, offline triage model: weighted cue lexicons per category, product and urgency,
 * and a valence lexicon with negation for sentiment. It is the placeholder behind the Classifier port
 * until the trained classifier of issue #4 replaces it.
 */
import type { Classification } from '../../domain/triage';
import { type Urgency, priorityFromUrgency } from '../../domain/vocabulary';
import type { ClassifyInput, Classifier } from './ports';

const CATEGORY_CUES: Record<string, string[]> = {
  billing: [
    'invoice',
    'charge',
    'charged',
    'refund',
    'payment',
    'billing',
    'subscription',
    'price',
    'card',
    'paid',
    'bill',
    'plan',
    'receipt',
    'credit',
  ],
  technical: [
    'error',
    'bug',
    'crash',
    'broken',
    'fail',
    'failed',
    'failing',
    'down',
    'outage',
    'login',
    'timeout',
    'slow',
    'install',
    'api',
    'sync',
    'cannot',
    "can't",
    'not working',
    '500',
    'exception',
  ],
  feature_request: [
    'feature',
    'would be great',
    'please add',
    'suggest',
    'suggestion',
    'wish',
    'could you add',
    'support for',
    'integration with',
    'roadmap',
    'request',
    'nice to have',
    'allow',
  ],
};

const PRODUCT_CUES: Record<string, string[]> = {
  CASB: ['casb', 'cloud access', 'shadow it', 'sanctioned app'],
  SWG: ['swg', 'web gateway', 'proxy', 'url filter', 'web filtering'],
  ZTNA: ['ztna', 'zero trust', 'private access', 'vpn'],
  DLP: ['dlp', 'data loss', 'sensitive data', 'exfiltration'],
  SSPM: ['sspm', 'posture', 'misconfiguration', 'saas security'],
  CFW: ['cfw', 'firewall', 'firewall rule', 'port blocked'],
};

const URGENCY_CUES: Array<[Urgency, string[]]> = [
  [
    'critical',
    [
      'production down',
      'outage',
      'all users',
      'data loss',
      'security breach',
      'breach',
      'completely down',
      'emergency',
    ],
  ],
  [
    'high',
    [
      'urgent',
      'asap',
      'immediately',
      'blocked',
      'cannot work',
      'charged twice',
      'critical',
      'deadline',
      'lawsuit',
    ],
  ],
  ['low', ['when you have time', 'no rush', 'minor', 'question', 'curious', 'suggestion', 'would be nice']],
];

const POSITIVE = [
  'thanks',
  'thank',
  'great',
  'love',
  'happy',
  'appreciate',
  'excellent',
  'good',
  'helpful',
  'pleased',
  'awesome',
];
const NEGATIVE = [
  'angry',
  'terrible',
  'awful',
  'unacceptable',
  'frustrated',
  'worst',
  'disappointed',
  'hate',
  'ridiculous',
  'furious',
  'broken',
  'useless',
  'annoyed',
  'bad',
  'twice',
  'again',
];
const NEGATORS = ['not', 'no', 'never', "don't", "isn't", "wasn't", "didn't", "doesn't", 'hardly'];

function countCues(text: string, cues: readonly string[]): string[] {
  return cues.filter((cue) =>
    new RegExp(`(^|[^a-z0-9])${cue.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^a-z0-9]|$)`).test(text),
  );
}

/** Valence in [-1, 1]: lexicon hits, flipped when one of the three words before is a negator. */
export function sentimentValence(text: string): number {
  const words = text.toLowerCase().match(/[a-z']+/g) ?? [];
  let score = 0;
  let hits = 0;
  words.forEach((word, i) => {
    const polarity = POSITIVE.includes(word) ? 1 : NEGATIVE.includes(word) ? -1 : 0;
    if (polarity === 0) return;
    const negated = words.slice(Math.max(0, i - 3), i).some((w) => NEGATORS.includes(w));
    score += negated ? -polarity * 0.5 : polarity;
    hits += 1;
  });
  const exclamations = Math.min(3, (text.match(/!/g) ?? []).length);
  const shouting = /\b[A-Z]{4,}\b/.test(text) ? 1 : 0;
  const raw = hits === 0 ? 0 : score / Math.sqrt(hits + 1);
  return Math.max(-1, Math.min(1, raw - (exclamations + shouting) * (raw <= 0 ? 0.15 : 0)));
}

export function createLocalClassifier(): Classifier {
  return {
    async classify({ text, categories, products }: ClassifyInput): Promise<Classification> {
      const started = Date.now();
      const lower = text.toLowerCase();
      const scored = categories.map((category) => ({
        category,
        hits: countCues(lower, CATEGORY_CUES[category] ?? [category.replace(/_/g, ' ')]),
      }));
      scored.sort(
        (a, b) =>
          b.hits.length - a.hits.length || categories.indexOf(a.category) - categories.indexOf(b.category),
      );
      const best = scored[0] ?? { category: categories[0] ?? 'technical', hits: [] };
      const total = scored.reduce((sum, s) => sum + s.hits.length, 0);
      const confidence =
        total === 0
          ? 1 / Math.max(1, categories.length)
          : (best.hits.length + 1) / (total + categories.length);

      const productHits = products
        .map((product) => ({
          product,
          hits: countCues(lower, PRODUCT_CUES[product] ?? [product.toLowerCase()]),
        }))
        .sort((a, b) => b.hits.length - a.hits.length);
      const product =
        productHits[0] && productHits[0].hits.length > 0
          ? productHits[0].product
          : products.includes('GENERAL')
            ? 'GENERAL'
            : (products[0] ?? 'GENERAL');

      const urgencyMatch = URGENCY_CUES.map(([urgency, cues]) => ({
        urgency,
        hits: countCues(lower, cues),
      })).find((u) => u.hits.length > 0);
      const valence = sentimentValence(text);
      let urgency: Urgency = urgencyMatch?.urgency ?? 'medium';
      if (!urgencyMatch && valence < -0.6) urgency = 'high';
      const sentiment = Math.max(1, Math.min(10, Math.round(5.5 + valence * 4.5)));

      const evidence = [
        best.hits.length ? `category cues: ${best.hits.join(', ')}` : 'no category cues: default category',
        urgencyMatch
          ? `urgency cues: ${urgencyMatch.hits.join(', ')}`
          : `urgency from tone (valence ${valence.toFixed(2)})`,
      ];
      return {
        category: best.category,
        urgency,
        suggestedPriority: priorityFromUrgency(urgency),
        sentiment,
        product,
        language: 'en',
        confidence: Math.round(confidence * 1000) / 1000,
        reasoning: evidence.join('; '),
        model: 'local-lexicon-v1',
        latencyMs: Date.now() - started,
        promptTokens: 0,
        completionTokens: 0,
      };
    },
  };
}
