/**
 * Text utilities shared by the offline models: a Unicode-aware tokenizer (Latin scripts with diacritics,
 * Cyrillic), a light English stemmer, FNV-1a hashing and hashed word / character n-gram features.
 */

// Letters and digits of any script, joined by inner apostrophes ("don't", "l'application").
const TOKEN_PATTERN = /[\p{L}\p{M}\p{N}]+(?:'[\p{L}\p{M}\p{N}]+)*/gu;

// French and Italian elided articles and prepositions: "l'application" is the word "application".
const ELIDED_PREFIXES = new Set(
  'l d n j qu c s m t dell nell all dall sull un quest jusqu lorsqu puisqu'.split(' '),
);

export interface Token {
  /** Lower case, as every model matches it. */
  text: string;
  /** As written, for cues that depend on case (ALL CAPS emphasis). */
  original: string;
}

/** Word tokens; French/Italian elisions are split off ("l'application"), English contractions kept whole. */
export function tokenizeDetailed(text: string): Token[] {
  const tokens: Token[] = [];
  const folded = text.normalize('NFC').replace(/[\u2018\u2019\u02bc\u0060\u00b4]/g, "'");
  for (const match of folded.matchAll(TOKEN_PATTERN)) {
    const original = match[0];
    const lower = original.toLowerCase();
    const apostrophe = lower.indexOf("'");
    if (apostrophe > 0 && ELIDED_PREFIXES.has(lower.slice(0, apostrophe)) && lower.length - apostrophe > 2) {
      tokens.push({ text: lower.slice(0, apostrophe), original: original.slice(0, apostrophe) });
      tokens.push({ text: lower.slice(apostrophe + 1), original: original.slice(apostrophe + 1) });
    } else {
      tokens.push({ text: lower, original });
    }
  }
  return tokens;
}

/** Lower-case word tokens (see `tokenizeDetailed`). */
export function tokenize(text: string): string[] {
  return tokenizeDetailed(text).map((token) => token.text);
}

const LATIN_WORD = /^[a-z]+$/;

/**
 * A light English suffix stripper ("refunds", "refunded", "refunding" → "refund"). It only touches plain
 * ASCII words, so other languages pass through unchanged; recall matters more here than linguistic accuracy.
 */
export function lightStem(token: string): string {
  if (token.length <= 3 || !LATIN_WORD.test(token)) return token;
  let stem = token;
  if (stem.endsWith('ies') && stem.length > 4) stem = `${stem.slice(0, -3)}y`;
  else if (stem.endsWith('sses')) stem = stem.slice(0, -2);
  else if (stem.endsWith('s') && !/(ss|us|is)$/.test(stem)) stem = stem.slice(0, -1);
  if (stem.endsWith('ing') && hasVowel(stem.slice(0, -3))) stem = undouble(stem.slice(0, -3));
  else if (stem.endsWith('ed') && !stem.endsWith('eed') && hasVowel(stem.slice(0, -2))) {
    stem = undouble(stem.slice(0, -2));
  } else if (stem.endsWith('ly') && stem.length > 4) stem = stem.slice(0, -2);
  if (stem.endsWith('e') && stem.length > 4) stem = stem.slice(0, -1);
  // As Porter's step 5b: "install", "installed" and "cancelling", "cancel" meet at one ending.
  if (stem.endsWith('ll') && stem.length > 4) stem = stem.slice(0, -1);
  return stem;
}

function hasVowel(stem: string): boolean {
  return stem.length >= 3 && /[aeiouy]/.test(stem);
}

function undouble(stem: string): string {
  // "cancelling" → "cancell" → "cancel", but keep "ss"/"ll" words like "access"/"install" recognisable.
  const last = stem[stem.length - 1];
  if (stem.length > 3 && last === stem[stem.length - 2] && !'lsz'.includes(last ?? '')) {
    return stem.slice(0, -1);
  }
  return stem;
}

/** English function words that carry no topic; used where topic similarity matters (few-shot, retrieval). */
export const ENGLISH_STOPWORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between ' +
    'both but by can could did do does doing down during each few for from further had has have having he her ' +
    'here hers herself him himself his how i if in into is it its itself just me more most my myself no nor ' +
    'of off on once only or other our ours ourselves out over own same she should so some such than that the ' +
    'their theirs them themselves then there these they this those through to too under until up very was we ' +
    'were what when where which while who whom why will with would you your yours yourself yourselves ' +
    "i'm i've i'd i'll it's we're we've you're that's there's let's also please hi hello thanks thank regards " +
    'dear team us get got still yet since'
  ).split(' '),
);

/** FNV-1a, 32 bits, over the UTF-8 bytes of the string. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code < 0x80) {
      hash = Math.imul(hash ^ code, 0x01000193);
      continue;
    }
    if (code >= 0xd800 && code < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    const bytes =
      code < 0x800
        ? [0xc0 | (code >> 6), 0x80 | (code & 0x3f)]
        : code < 0x10000
          ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
          : [
              0xf0 | (code >> 18),
              0x80 | ((code >> 12) & 0x3f),
              0x80 | ((code >> 6) & 0x3f),
              0x80 | (code & 0x3f),
            ];
    for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  }
  return hash >>> 0;
}

export interface FeatureOptions {
  /** Word n-grams from 1 to this length (0 turns word features off). */
  wordNgramMax: number;
  /** Character n-grams inside word boundaries, from min to max length (max 0 turns them off). */
  charNgramMin: number;
  charNgramMax: number;
  /** Drop English function words before building n-grams. */
  dropStopwords: boolean;
  /** Apply the light stemmer to word features (character n-grams always see the surface form). */
  stem: boolean;
}

export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = {
  wordNgramMax: 2,
  charNgramMin: 3,
  charNgramMax: 5,
  dropStopwords: false,
  stem: false,
};

/** Hashed term counts of one text, words and characters kept apart so each block can be normalised alone. */
export interface HashedFeatures {
  words: Map<number, number>;
  chars: Map<number, number>;
  /** Readable name of each hashed feature: the n-gram for words, the word a character n-gram came from. */
  names?: Map<number, string>;
}

/**
 * Word uni/bi-grams and character n-grams (padded with a space at word boundaries, like scikit-learn's
 * `char_wb`), as FNV-1a ids. The "w:", "c:" prefixes keep a word and an equal character n-gram apart.
 */
export function hashedFeatures(text: string, options: FeatureOptions, withNames = false): HashedFeatures {
  let tokens = tokenize(text);
  if (options.dropStopwords) tokens = tokens.filter((token) => !ENGLISH_STOPWORDS.has(token));
  const words = new Map<number, number>();
  const chars = new Map<number, number>();
  const names = withNames ? new Map<number, string>() : undefined;
  const add = (counts: Map<number, number>, key: string, name: string) => {
    const id = fnv1a32(key);
    counts.set(id, (counts.get(id) ?? 0) + 1);
    if (names && !names.has(id)) names.set(id, name);
  };

  const wordForms = options.stem ? tokens.map(lightStem) : tokens;
  for (let n = 1; n <= options.wordNgramMax; n++) {
    for (let start = 0; start + n <= wordForms.length; start++) {
      add(
        words,
        `w:${wordForms.slice(start, start + n).join(' ')}`,
        tokens.slice(start, start + n).join(' '),
      );
    }
  }
  if (options.charNgramMax > 0) {
    for (const token of tokens) {
      const padded = ` ${token} `;
      for (let n = options.charNgramMin; n <= options.charNgramMax; n++) {
        for (let start = 0; start + n <= padded.length; start++)
          add(chars, `c:${padded.slice(start, start + n)}`, token);
        if (n >= padded.length) break;
      }
    }
  }
  return { words, chars, names };
}

/** Index of each phrase occurrence in a token list: multi-word phrases match consecutive tokens. */
export function findPhrase(tokens: readonly string[], phrase: readonly string[], from = 0): number {
  outer: for (let start = from; start + phrase.length <= tokens.length; start++) {
    for (let offset = 0; offset < phrase.length; offset++) {
      if (tokens[start + offset] !== phrase[offset]) continue outer;
    }
    return start;
  }
  return -1;
}
