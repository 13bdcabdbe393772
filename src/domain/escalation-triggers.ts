/**
 * Automatic escalation after triage (seed 003): trigger words in several languages, a knowledge base that has
 * no good answer, or a very unhappy customer on a high tier. Pure, so the workflow decides deterministically.
 */
import type { CustomerTier } from './vocabulary';

export interface EscalationTriggers {
  /** Matched case-insensitively at word starts, so `refund` also finds "refunded". */
  keywords: string[];
  /**
   * Escalate when the best knowledge-base passage scores below this (only when passages were found). The
   * score is the calibrated probability that the passage answers the ticket (the tenant's fitted retrieval
   * model), so the threshold means the same on every knowledge base: 0.2 = "less than a one-in-five chance
   * that the best passage is the answer" (in the eval, top hits scored 0.2–0.3 were right 37–60% of the time).
   */
  min_retrieval_score: number | null;
  /** Escalate when sentiment (1–10) is at or below this for a customer on one of `high_tiers`. */
  negative_sentiment_max: number;
  high_tiers: CustomerTier[];
  /** The escalation level a trigger sets. */
  level: number;
}

export const DEFAULT_ESCALATION_TRIGGERS: EscalationTriggers = {
  keywords: [
    // en
    'lawsuit',
    'legal action',
    'lawyer',
    'attorney',
    'chargeback',
    'refund',
    'gdpr',
    'data breach',
    // de
    'klage',
    'anwalt',
    'rückerstattung',
    'rückbuchung',
    // fr
    'avocat',
    'poursuite',
    'remboursement',
    'rétrofacturation',
    // es
    'demanda',
    'abogado',
    'reembolso',
    'contracargo',
    // it
    'avvocato',
    'denuncia',
    'rimborso',
    // pt
    'processo judicial',
    'advogado',
    'estorno',
    // nl
    'rechtszaak',
    'advocaat',
    'terugbetaling',
    // ru
    'суд',
    'иск',
    'юрист',
    'адвокат',
    'возврат',
  ],
  min_retrieval_score: null,
  negative_sentiment_max: 2,
  high_tiers: ['enterprise', 'global_enterprise'],
  level: 1,
};

export interface TriggerInput {
  text: string;
  sentiment: number;
  customerTier: CustomerTier;
  bestRetrievalScore: number | null;
}

export interface TriggerDecision {
  reason: string;
  level: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function matchedKeywords(text: string, keywords: readonly string[]): string[] {
  const lower = text.toLocaleLowerCase();
  return keywords.filter((keyword) =>
    new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(keyword.toLocaleLowerCase())}`, 'u').test(lower),
  );
}

/** The first trigger that applies, with a reason a person can read; null when none does. */
export function evaluateTriggers(triggers: EscalationTriggers, input: TriggerInput): TriggerDecision | null {
  const words = matchedKeywords(input.text, triggers.keywords);
  if (words.length > 0) return { reason: `trigger words: ${words.join(', ')}`, level: triggers.level };
  if (
    input.sentiment <= triggers.negative_sentiment_max &&
    triggers.high_tiers.includes(input.customerTier)
  ) {
    return {
      reason: `very negative sentiment (${input.sentiment}/10) from a ${input.customerTier} customer`,
      level: triggers.level,
    };
  }
  if (
    triggers.min_retrieval_score !== null &&
    input.bestRetrievalScore !== null &&
    input.bestRetrievalScore < triggers.min_retrieval_score
  ) {
    return {
      reason: `knowledge base has no good match (best score ${input.bestRetrievalScore.toFixed(2)} < ${triggers.min_retrieval_score})`,
      level: triggers.level,
    };
  }
  return null;
}
