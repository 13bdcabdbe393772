/**
 * Urgency from cues: phrases that signal an outage or a breach (critical), a blocked customer or a deadline
 * (high), or an idle question (low), read with negation ("not urgent" lowers, "no data loss" is no data loss),
 * then adjusted by the tone and the category. The suggested priority is the urgency (one shared scale).
 */
import { type Priority, type Urgency, priorityFromUrgency } from '../domain/vocabulary';
import { findPhrase, tokenize } from './text';

export interface UrgencyResult {
  urgency: Urgency;
  suggestedPriority: Priority;
  /** The cues that decided, e.g. ["production down", "all users"], or the tone/category adjustments. */
  evidence: string[];
}

export interface UrgencyContext {
  /** Sentiment valence −1..1. */
  valence?: number;
  /** The triage category, when known: feature requests are rarely urgent. */
  category?: string;
}

const CUES: Record<'critical' | 'high' | 'low', string[]> = {
  critical: [
    'outage',
    'production down',
    'production is down',
    'prod down',
    'prod is down',
    'site down',
    'site is down',
    'system down',
    'system is down',
    'platform is down',
    'service is down',
    'everything is down',
    'completely down',
    'all users',
    'all our users',
    'all of our users',
    'every user',
    'nobody can',
    'no one can',
    'entire company',
    'whole company',
    'data loss',
    'lost data',
    'lost all',
    'data was deleted',
    'data deleted',
    'data corruption',
    'security breach',
    'data breach',
    'breach',
    'breached',
    'hacked',
    'compromised',
    'ransomware',
    'data leak',
    'leaked',
    'emergency',
    'sev1',
    'sev 1',
    'p1',
    'ausfall',
    'panne générale',
    'caída total',
    'сбой',
  ],
  high: [
    'urgent',
    'urgently',
    'asap',
    'as soon as possible',
    'immediately',
    'right away',
    'blocked',
    'blocking',
    'blocker',
    'cannot work',
    "can't work",
    'unable to work',
    'cannot log in',
    "can't log in",
    'cannot login',
    "can't login",
    'locked out',
    'charged twice',
    'double charged',
    'charged two times',
    'deadline',
    'by tomorrow',
    'by today',
    'end of day',
    'critical',
    'escalate',
    'lawsuit',
    'legal action',
    'losing money',
    'losing customers',
    'customers affected',
    'our customers cannot',
    'dringend',
    'sofort',
    'urgente',
    'срочно',
  ],
  low: [
    'question',
    'quick question',
    'no rush',
    'no hurry',
    'not urgent',
    'whenever',
    'when you have time',
    'when you get a chance',
    'low priority',
    'suggestion',
    'would be nice',
    'nice to have',
    'curious',
    'wondering',
    'just wanted',
    'feedback',
    'minor',
    'cosmetic',
    'typo',
    'feature request',
    'idea',
    'how do i',
    'is it possible',
  ],
};

const NEGATIONS = new Set([
  'not',
  'no',
  'never',
  'without',
  "isn't",
  "wasn't",
  "aren't",
  "don't",
  "doesn't",
  'nicht',
  'kein',
  'keine',
  'pas',
  'не',
]);
const NEGATION_SCOPE = 3;

// Cues parsed once into token sequences, longest first so "quick question" is preferred over "question".
const PARSED_CUES = (Object.entries(CUES) as Array<[keyof typeof CUES, string[]]>)
  .flatMap(([level, phrases]) => phrases.map((phrase) => ({ level, phrase, tokens: tokenize(phrase) })))
  .sort((a, b) => b.tokens.length - a.tokens.length);

interface CueHit {
  level: 'critical' | 'high' | 'low';
  phrase: string;
  negated: boolean;
}

function findCues(tokens: readonly string[]): CueHit[] {
  const covered = new Array<boolean>(tokens.length).fill(false);
  const hits: CueHit[] = [];
  for (const cue of PARSED_CUES) {
    for (let at = findPhrase(tokens, cue.tokens); at >= 0; at = findPhrase(tokens, cue.tokens, at + 1)) {
      const span = cue.tokens.length;
      if (covered.slice(at, at + span).some(Boolean)) continue;
      covered.fill(true, at, at + span);
      const before = tokens.slice(Math.max(0, at - NEGATION_SCOPE), at);
      // A cue that is itself negative ("not urgent", "no rush") is not negated by its own first word.
      const negated =
        cue.tokens[0] !== undefined && !NEGATIONS.has(cue.tokens[0]) && before.some((t) => NEGATIONS.has(t));
      hits.push({ level: cue.level, phrase: cue.phrase, negated });
    }
  }
  return hits;
}

export function assessUrgency(text: string, context: UrgencyContext = {}): UrgencyResult {
  const hits = findCues(tokenize(text));
  const active = hits.filter((hit) => !hit.negated);
  // "Not urgent", "no need to escalate": a negated alarm is a calm signal.
  const calming = [
    ...active.filter((hit) => hit.level === 'low'),
    ...hits.filter((hit) => hit.negated && hit.level !== 'low'),
  ];
  const critical = active.filter((hit) => hit.level === 'critical');
  const high = active.filter((hit) => hit.level === 'high');
  const describe = (list: CueHit[]) => list.map((hit) => (hit.negated ? `not ${hit.phrase}` : hit.phrase));

  let urgency: Urgency;
  let evidence: string[];
  if (critical.length > 0) {
    urgency = 'critical';
    evidence = describe([...critical, ...high]);
  } else if (high.length > 0) {
    urgency = 'high';
    evidence = describe(high);
  } else if (calming.length > 0) {
    urgency = 'low';
    evidence = describe(calming);
  } else {
    urgency = 'medium';
    evidence = [];
  }

  const valence = context.valence ?? 0;
  if (urgency === 'medium' && valence <= -0.6) {
    urgency = 'high';
    evidence.push(`very negative tone (${valence.toFixed(2)})`);
  } else if (urgency === 'low' && valence <= -0.75 && context.category !== 'feature_request') {
    urgency = 'medium';
    evidence.push(`very negative tone (${valence.toFixed(2)})`);
  }
  if (
    context.category === 'feature_request' &&
    (urgency === 'medium' || urgency === 'high') &&
    critical.length === 0
  ) {
    // Wanting something new is rarely time-critical, even when asked for insistently.
    urgency = urgency === 'high' ? 'medium' : 'low';
    evidence.push('feature request');
  }
  return { urgency, suggestedPriority: priorityFromUrgency(urgency), evidence };
}
