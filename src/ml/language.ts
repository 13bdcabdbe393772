/**
 * Language identification for support tickets: Cyrillic script means Russian; Latin-script languages are told
 * apart by their function words (articles, pronouns, prepositions, auxiliaries), which are frequent in any
 * text, plus letters and endings only some languages use. Too little evidence gives `und` (undetermined).
 */
import { tokenize } from './text';

export const LANGUAGES = ['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'ru'] as const;
export type Language = (typeof LANGUAGES)[number];
export type DetectedLanguage = Language | 'und';

export interface LanguageGuess {
  language: DetectedLanguage;
  /** 0..1: how clearly the best language beats the others, damped when there is little text. */
  confidence: number;
}

type LatinLanguage = Exclude<Language, 'ru'>;

const FUNCTION_WORDS: Record<LatinLanguage, string> = {
  en:
    'the and is are was were be been to of in it i my me you your we our us they this that these those with ' +
    "for have has had not no can cannot could would should will do does did don't doesn't didn't can't " +
    "won't isn't it's i'm i've what how why when where which who there here from at by on but or an any " +
    'please thanks thank hello hi since still after before again just get got about all some if so very ' +
    'yesterday today morning working issue account',
  de:
    'der die das und ist sind nicht ich sie es ein eine einen einem einer mit für auf den dem des von zu ' +
    'wir mein meine meinen unser unsere bitte kann können konnte wurde wird werden haben habe hat hatte auch ' +
    'aber oder noch seit immer keine kein wie was warum wenn dass bei nach mir mich uns ihr ihre ihnen schon ' +
    'nur jetzt heute danke hallo geht gibt im vom zum zur beim sehr mehr wieder leider gestern funktioniert',
  fr:
    'le la les et est sont pas je vous nous un une des du au aux pour avec sur dans mon ma mes votre vos notre ' +
    'nos ne il elle ce cette ces mais ou qui que quoi depuis toujours merci bonjour ai avons avez été suis ' +
    'très plus peux pouvez fonctionne rien encore aussi hier aujourd comment pourquoi quand leur moi ça',
  es:
    'el la los las y es son no yo un una unos que por para con en mi mis su sus del al pero está están hay ' +
    'muy gracias hola desde todavía sigue funciona puedo puede tengo tiene hemos ha he lo le se me nos ' +
    'cuando cómo qué porque ayer hoy también ya cuenta pago cobraron estoy esta este otra vez sin',
  it:
    'il lo la gli le e è non un una di da che per con su mio mia miei nostro nostra ma sono ho abbiamo ha ' +
    'hanno del della dei delle nel nella al alla allo grazie buongiorno ciao funziona ancora più molto ' +
    'questo questa come perché quando posso può anche già ieri oggi mi ci si sul sulla dal dalla',
  pt:
    'o a os as e é não eu um uma de do da dos das que para com em no na nos nas meu minha nosso nossa mas ' +
    'ou está estão tem têm foi ser obrigado obrigada olá bom dia ainda funciona posso consigo você vocês ' +
    'já mais muito isso esta este quando como porque ontem hoje também pelo pela ao aos seu sua',
  nl:
    'de het een en is niet ik wij we je u jullie mijn onze ons van voor met op in aan te dat die dit deze ' +
    'maar of zijn heb hebben heeft wordt werd kan kunnen nog al ook geen graag bedankt dank hallo werkt ' +
    'sinds altijd wanneer waarom hoe wat er om bij na uit naar alstublieft gisteren vandaag mijn hun wel',
};

const LATIN_LANGUAGES = Object.keys(FUNCTION_WORDS) as LatinLanguage[];

// Each word votes for every language that uses it, split evenly: "de" says little, "nicht" a lot.
const WORD_VOTES: ReadonlyMap<string, readonly LatinLanguage[]> = (() => {
  const votes = new Map<string, LatinLanguage[]>();
  for (const language of LATIN_LANGUAGES) {
    for (const word of FUNCTION_WORDS[language].split(/\s+/)) {
      const voters = votes.get(word) ?? [];
      if (!voters.includes(language)) voters.push(language);
      votes.set(word, voters);
    }
  }
  return votes;
})();

/** Letters and spellings that only some languages use, with the weight of one occurrence. */
const SPELLING_CUES: ReadonlyArray<{ pattern: RegExp; languages: readonly LatinLanguage[]; weight: number }> =
  [
    { pattern: /ß/g, languages: ['de'], weight: 1.5 },
    { pattern: /[äöü]/g, languages: ['de'], weight: 0.8 },
    { pattern: /[ñ¿¡]/g, languages: ['es'], weight: 1.5 },
    { pattern: /[ãõ]/g, languages: ['pt'], weight: 1.5 },
    { pattern: /ç/g, languages: ['fr', 'pt'], weight: 0.6 },
    { pattern: /[œêëîïû]/g, languages: ['fr'], weight: 0.6 },
    { pattern: /[èà]/g, languages: ['fr', 'it'], weight: 0.4 },
    { pattern: /[ìò]/g, languages: ['it'], weight: 0.8 },
    { pattern: /[áíóú]/g, languages: ['es', 'pt'], weight: 0.3 },
    { pattern: /ij/g, languages: ['nl'], weight: 0.5 },
    { pattern: /\p{L}+(?:ção|ções)\b/gu, languages: ['pt'], weight: 1 },
    { pattern: /\p{L}+ción\b/gu, languages: ['es'], weight: 1 },
    { pattern: /\p{L}+zion[ei]\b/gu, languages: ['it'], weight: 1 },
    { pattern: /\p{L}+(?:ung|keit|lich)\b/gu, languages: ['de'], weight: 0.6 },
    { pattern: /\b\p{L}+(?:ing|tion)\b/gu, languages: ['en'], weight: 0.3 },
  ];

const CYRILLIC = /\p{Script=Cyrillic}/gu;
const LATIN = /\p{Script=Latin}/gu;
const MIN_EVIDENCE = 1;

export function detectLanguage(text: string): LanguageGuess {
  const cyrillicLetters = text.match(CYRILLIC)?.length ?? 0;
  const latinLetters = text.match(LATIN)?.length ?? 0;
  if (cyrillicLetters >= 3 && cyrillicLetters >= latinLetters) {
    return {
      language: 'ru',
      confidence: round(
        Math.min(1, (cyrillicLetters / (cyrillicLetters + latinLetters)) * evidence(cyrillicLetters / 4)),
      ),
    };
  }

  const scores = new Map<LatinLanguage, number>(LATIN_LANGUAGES.map((language) => [language, 0]));
  for (const token of tokenize(text)) {
    const voters = WORD_VOTES.get(token);
    if (!voters) continue;
    for (const language of voters) scores.set(language, scores.get(language)! + 1 / voters.length);
  }
  const lower = text.toLowerCase();
  for (const cue of SPELLING_CUES) {
    const count = Math.min(3, lower.match(cue.pattern)?.length ?? 0);
    for (const language of cue.languages) scores.set(language, scores.get(language)! + count * cue.weight);
  }

  const ranked = [...scores.entries()].sort((a, b) => b[1] - a[1]);
  const [best, second] = [ranked[0]!, ranked[1]!];
  if (best[1] < MIN_EVIDENCE || best[1] === second[1]) return { language: 'und', confidence: 0 };
  const total = ranked.reduce((sum, [, score]) => sum + score, 0);
  const share = best[1] / total;
  const margin = (best[1] - second[1]) / best[1];
  return { language: best[0], confidence: round(Math.sqrt(share * margin) * evidence(best[1])) };
}

/** 0..1, saturating: one function word is weak evidence, five are plenty. */
function evidence(amount: number): number {
  return 1 - Math.exp(-amount / 1.5);
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
