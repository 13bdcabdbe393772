import { formatCsvRow, parseCsv, parseCsvRecords } from '../../src/ml/csv';
import {
  DEFAULT_FEATURE_OPTIONS,
  findPhrase,
  fnv1a32,
  hashedFeatures,
  lightStem,
  tokenize,
} from '../../src/ml/text';

describe('tokenize', () => {
  it('lower-cases and splits on anything that is not a letter or digit', () => {
    expect(tokenize('Error 500 on /api/v1/Users!!')).toEqual(['error', '500', 'on', 'api', 'v1', 'users']);
  });

  it('keeps Latin letters with diacritics whole', () => {
    expect(tokenize('Die Größe ÄNDERT sich, façade, niño, ação')).toEqual([
      'die',
      'größe',
      'ändert',
      'sich',
      'façade',
      'niño',
      'ação',
    ]);
  });

  it('reads Cyrillic', () => {
    expect(tokenize('Не могу ВОЙТИ в аккаунт.')).toEqual(['не', 'могу', 'войти', 'в', 'аккаунт']);
  });

  it('keeps English contractions, splits French and Italian elisions, folds typographic apostrophes', () => {
    expect(tokenize("I can’t log in, don't know why")).toEqual([
      'i',
      "can't",
      'log',
      'in',
      "don't",
      'know',
      'why',
    ]);
    expect(tokenize("l'application n'est pas dell'ordine")).toEqual([
      'l',
      'application',
      'n',
      'est',
      'pas',
      'dell',
      'ordine',
    ]);
  });

  it('normalises decomposed accents to the composed form', () => {
    expect(tokenize('cafe\u0301')).toEqual(tokenize('café'));
  });
});

describe('lightStem', () => {
  it.each([
    ['refunds', 'refund'],
    ['refunded', 'refund'],
    ['refunding', 'refund'],
    ['charges', 'charg'],
    ['charged', 'charg'],
    ['cancelling', 'cancel'],
    ['companies', 'company'],
    ['installed', 'instal'],
    ['install', 'instal'],
  ])('%s → %s', (word, stem) => {
    expect(lightStem(word)).toBe(stem);
  });

  it('leaves short words, non-ASCII words and words without a real suffix alone', () => {
    expect(['bus', 'access', 'status', 'größe', 'string', 'need'].map(lightStem)).toEqual([
      'bus',
      'access',
      'status',
      'größe',
      'string',
      'need',
    ]);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes the UTF-8 bytes, astral characters included', () => {
    const reference = (text: string) => {
      let hash = 0x811c9dc5;
      for (const byte of Buffer.from(text, 'utf8')) hash = Math.imul(hash ^ byte, 0x01000193);
      return hash >>> 0;
    };
    for (const text of ['über', 'счёт', '😀 ok', '日本']) expect(fnv1a32(text)).toBe(reference(text));
  });
});

describe('hashedFeatures', () => {
  it('counts word unigrams and bigrams and character n-grams separately, with readable names', () => {
    const features = hashedFeatures('refund refund please', DEFAULT_FEATURE_OPTIONS, true);
    expect(features.words.get(fnv1a32('w:refund'))).toBe(2);
    expect(features.words.get(fnv1a32('w:refund refund'))).toBe(1);
    expect(features.words.get(fnv1a32('w:refund please'))).toBe(1);
    expect(features.words.size).toBe(4);
    expect(features.chars.get(fnv1a32('c: re'))).toBe(2);
    expect(features.chars.get(fnv1a32('c:und '))).toBe(2);
    expect(features.names?.get(fnv1a32('c:efun'))).toBe('refund');
    expect(features.names?.get(fnv1a32('w:refund please'))).toBe('refund please');
  });

  it('can drop function words and stem before counting', () => {
    const features = hashedFeatures('The refunds are missing', {
      ...DEFAULT_FEATURE_OPTIONS,
      charNgramMax: 0,
      dropStopwords: true,
      stem: true,
    });
    expect([...features.words.keys()].sort()).toEqual(
      [fnv1a32('w:refund'), fnv1a32('w:miss'), fnv1a32('w:refund miss')].sort(),
    );
    expect(features.chars.size).toBe(0);
  });
});

describe('findPhrase', () => {
  it('finds consecutive tokens', () => {
    expect(findPhrase(['the', 'production', 'is', 'down'], ['is', 'down'])).toBe(2);
    expect(findPhrase(['down', 'is'], ['is', 'down'])).toBe(-1);
  });
});

describe('CSV', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks (RFC 4180)', () => {
    const text =
      'text,category\r\n"Hello, ""world""",billing\n"two\nlines",technical\nplain,feature_request\n';
    expect(parseCsv(text)).toEqual([
      ['text', 'category'],
      ['Hello, "world"', 'billing'],
      ['two\nlines', 'technical'],
      ['plain', 'feature_request'],
    ]);
    expect(parseCsvRecords(text)[0]).toEqual({ text: 'Hello, "world"', category: 'billing' });
  });

  it('keeps empty fields and ignores a byte order mark', () => {
    expect(parseCsv('\ufeffa,,c\n,\n')).toEqual([
      ['a', '', 'c'],
      ['', ''],
    ]);
  });

  it('rejects an unterminated quoted field', () => {
    expect(() => parseCsv('"open,field\n')).toThrow(/quote/i);
  });

  it('writes what it reads', () => {
    const rows = [
      ['a "quoted", text', 'x'],
      ['line\nbreak', ''],
      ['plain', 'y'],
    ];
    expect(parseCsv(rows.map(formatCsvRow).join('\n'))).toEqual(rows);
  });
});
