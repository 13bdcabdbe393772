/**
 * Lexicon-based sentiment in the manner of VADER (Hutto & Gilbert, 2014): each sentiment word's valence is
 * adjusted by the words around it — boosters and dampeners ("very", "slightly"), negation within three tokens
 * (flip and dampen by 0.74: "not good" is mildly negative, not as bad as "bad"), ALL CAPS when the rest is not,
 * and a contrastive "but" (the clause after it counts 1.5×, the one before 0.5×) — then summed, nudged by
 * exclamation marks and squashed into −1..1.
 */
import { type DetectedLanguage, detectLanguage } from './language';
import {
  BOOSTERS,
  ENGLISH_NEGATIONS,
  ENGLISH_VALENCE,
  OTHER_NEGATIONS,
  OTHER_VALENCE,
} from './sentiment-lexicon';
import { type Token, tokenizeDetailed } from './text';

export interface SentimentResult {
  /** −1 (most negative) … +1 (most positive); 0 when no sentiment word was found. */
  valence: number;
  /** Seed 001's scale: 1 (furious) … 10 (delighted); neutral text is 5. */
  score: number;
  /** Sentiment words found, strongest first, with their adjusted valence. */
  evidence: Array<{ word: string; valence: number }>;
}

// VADER's empirically derived constants.
const NEGATION_SCALAR = -0.74;
const CAPS_INCREMENT = 0.733;
const EXCLAMATION_INCREMENT = 0.292;
const QUESTION_INCREMENT = 0.18;
const NORMALISATION_ALPHA = 15;
const NEGATION_SCOPE = 3;
const BOOSTER_DECAY = [1, 0.95, 0.9];
/** A Map, not the object: a word such as `constructor` must not find Object.prototype's members. */
const BOOSTER_VALUES: ReadonlyMap<string, number> = new Map(Object.entries(BOOSTERS));
const CONTRAST_WORDS = new Set([
  'but',
  'however',
  'aber',
  'mais',
  'pero',
  'ma',
  'mas',
  'maar',
  'но',
  'однако',
]);

interface Lexicon {
  exact: ReadonlyMap<string, number>;
  /** Stems of `*` entries, longest first, so the most specific stem wins. */
  stems: ReadonlyArray<[string, number]>;
}

const lexiconCache = new Map<string, Lexicon>();

/** English plus the detected language's lexicon (built once per language: an explicit cache). */
function lexiconFor(language: DetectedLanguage): Lexicon {
  const cached = lexiconCache.get(language);
  if (cached) return cached;
  const exact = new Map(Object.entries(ENGLISH_VALENCE));
  const stems: Array<[string, number]> = [];
  for (const [entry, valence] of Object.entries(OTHER_VALENCE[language] ?? {})) {
    if (entry.endsWith('*')) stems.push([entry.slice(0, -1), valence]);
    else exact.set(entry, valence);
  }
  stems.sort((a, b) => b[0].length - a[0].length);
  const lexicon = { exact, stems };
  lexiconCache.set(language, lexicon);
  return lexicon;
}

function valenceOf(word: string, lexicon: Lexicon): number | undefined {
  const exact = lexicon.exact.get(word);
  if (exact !== undefined) return exact;
  return lexicon.stems.find(([stem]) => word.startsWith(stem))?.[1];
}

function isSentimentBearing(word: string, lexicon: Lexicon): boolean {
  return valenceOf(word, lexicon) !== undefined || BOOSTER_VALUES.has(word);
}

function isNegation(word: string): boolean {
  return ENGLISH_NEGATIONS.has(word) || OTHER_NEGATIONS.has(word) || word.endsWith("n't");
}

function isShouted(token: Token): boolean {
  return (
    token.original.length > 1 &&
    /\p{Lu}/u.test(token.original) &&
    token.original === token.original.toUpperCase()
  );
}

export function analyzeSentiment(
  text: string,
  language: DetectedLanguage = detectLanguage(text).language,
): SentimentResult {
  const tokens = tokenizeDetailed(text);
  const lexicon = lexiconFor(language);
  // Caps only emphasise when the writer otherwise uses lower case: an all-caps message is just caps lock.
  const shoutedCount = tokens.filter(isShouted).length;
  const capsEmphasis =
    shoutedCount > 0 && shoutedCount < tokens.filter((t) => /\p{L}/u.test(t.original)).length;
  const words = tokens.map((t) => t.text);
  const contrastAt = words.findLastIndex((word) => CONTRAST_WORDS.has(word));
  const scored: Array<{ word: string; valence: number }> = [];
  let sum = 0;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    // Two-word entries ("charged twice", "fed up") are read as one unit.
    const phrase = next ? lexicon.exact.get(`${token.text} ${next.text}`) : undefined;
    const word = phrase !== undefined ? `${token.text} ${next!.text}` : token.text;
    // A booster modifies the next word instead of carrying sentiment itself ("super fast").
    if (phrase === undefined && BOOSTER_VALUES.has(word) && next && isSentimentBearing(next.text, lexicon)) {
      continue;
    }
    let valence = phrase ?? valenceOf(word, lexicon);
    const end = phrase !== undefined ? i + 1 : i;
    if (valence === undefined || valence === 0) {
      i = end;
      continue;
    }
    const sign = Math.sign(valence);
    if (capsEmphasis && isShouted(token)) valence += sign * CAPS_INCREMENT;

    for (let back = 1; back <= NEGATION_SCOPE && i - back >= 0; back++) {
      const previous = tokens[i - back]!;
      const boost = BOOSTER_VALUES.get(previous.text);
      if (boost === undefined) continue;
      let scalar = boost * BOOSTER_DECAY[back - 1]!;
      if (capsEmphasis && isShouted(previous)) scalar += Math.sign(boost) * CAPS_INCREMENT;
      valence += sign * scalar;
    }
    // German and Dutch put the negation after the verb: "funktioniert nicht", "werkt niet".
    const negationAfter = language === 'de' || language === 'nl' ? words.slice(end + 1, end + 3) : [];
    const negated = [...words.slice(Math.max(0, i - NEGATION_SCOPE), i), ...negationAfter].some(isNegation);
    if (negated) valence *= NEGATION_SCALAR;

    if (contrastAt >= 0) valence *= i < contrastAt ? 0.5 : i > contrastAt ? 1.5 : 1;
    scored.push({ word, valence: round(valence) });
    sum += valence;
    i = end;
  }

  if (sum !== 0) sum += Math.sign(sum) * punctuationEmphasis(text);
  const valence = round(sum / Math.sqrt(sum * sum + NORMALISATION_ALPHA));
  return {
    valence,
    score: scoreFromValence(valence),
    evidence: scored.sort((a, b) => Math.abs(b.valence) - Math.abs(a.valence)),
  };
}

/** "!" adds emphasis (up to four count); several "?" add a little. */
function punctuationEmphasis(text: string): number {
  const exclamations = Math.min(4, (text.match(/!/g) ?? []).length);
  const questions = (text.match(/\?/g) ?? []).length;
  return (
    exclamations * EXCLAMATION_INCREMENT + (questions > 1 ? Math.min(3, questions) * QUESTION_INCREMENT : 0)
  );
}

/** −1..1 onto 1..10 in ten equal bands; exactly neutral is 5, anything positive at least 6. */
export function scoreFromValence(valence: number): number {
  return Math.min(10, Math.max(1, Math.ceil((valence + 1) * 5)));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
