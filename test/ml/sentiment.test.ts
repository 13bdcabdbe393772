import { analyzeSentiment, scoreFromValence } from '../../src/ml/sentiment';

const valence = (text: string) => analyzeSentiment(text).valence;

describe('analyzeSentiment', () => {
  it('is neutral without sentiment words', () => {
    expect(analyzeSentiment('I need the invoice for March.')).toEqual({ valence: 0, score: 5, evidence: [] });
  });

  it('separates praise from anger', () => {
    expect(valence('Thank you so much, the support was excellent!')).toBeGreaterThan(0.5);
    expect(valence('This is terrible, I am furious and want my money back')).toBeLessThan(-0.5);
  });

  describe('negation', () => {
    it('flips a sentiment word within three tokens', () => {
      expect(valence('I am happy with the product')).toBeGreaterThan(0);
      expect(valence('I am not happy with the product')).toBeLessThan(0);
      expect(valence('I am not really very happy')).toBeLessThan(0);
    });

    it('dampens while flipping: "not bad" is better than "bad" but not as good as "good"', () => {
      expect(valence('not bad')).toBeGreaterThan(valence('bad'));
      expect(valence('not bad')).toBeGreaterThan(0);
      expect(valence('not bad')).toBeLessThan(valence('good') + 0.2);
    });

    it('has a limited scope', () => {
      expect(valence('No, the new dashboard after the update is great')).toBeGreaterThan(0);
    });

    it('reads "no problem" and contractions', () => {
      expect(valence('no problem at all')).toBeGreaterThan(0);
      expect(valence("it doesn't work")).toBeLessThan(0);
      expect(valence('it works')).toBeGreaterThan(0);
    });
  });

  it('intensifiers strengthen and diminishers weaken', () => {
    expect(valence('the app is very slow')).toBeLessThan(valence('the app is slow'));
    expect(valence('the app is slightly slow')).toBeGreaterThan(valence('the app is slow'));
    expect(valence('extremely helpful')).toBeGreaterThan(valence('helpful'));
  });

  it('weighs the clause after "but" more than the one before', () => {
    const complaintLast = valence('Thanks for the quick answer, but the export still crashes');
    const praiseLast = valence('The export still crashes, but thanks for the quick answer');
    expect(complaintLast).toBeLessThan(0);
    expect(praiseLast).toBeGreaterThan(0);
  });

  it('takes ALL CAPS as emphasis, but not a message typed with caps lock', () => {
    expect(valence('This is UNACCEPTABLE')).toBeLessThan(valence('This is unacceptable'));
    expect(valence('THIS IS UNACCEPTABLE')).toBeCloseTo(valence('this is unacceptable'), 5);
  });

  it('takes exclamation marks as emphasis in the direction of the sentiment', () => {
    expect(valence('This is broken!!!')).toBeLessThan(valence('This is broken'));
    expect(valence('This is great!!!')).toBeGreaterThan(valence('This is great'));
    expect(valence('Where is my invoice!!!')).toBe(0);
  });

  it('reads the common words of the other supported languages', () => {
    expect(valence('Vielen Dank, das ist super')).toBeGreaterThan(0.3);
    expect(valence('Das ist leider sehr schlecht')).toBeLessThan(-0.3);
    expect(valence('Merci beaucoup, service excellent')).toBeGreaterThan(0.3);
    expect(valence('Servicio pésimo, estoy muy decepcionado')).toBeLessThan(-0.3);
    expect(valence('Ужасный сервис, очень плохо')).toBeLessThan(-0.3);
    expect(valence('Es funktioniert nicht')).toBeLessThan(0);
  });

  it('explains itself with the sentiment words found, strongest first', () => {
    const result = analyzeSentiment('The app is slow and the support was horrible');
    expect(result.evidence.map((e) => e.word)).toEqual(['horrible', 'slow']);
  });

  it('reads two-word expressions as one', () => {
    expect(analyzeSentiment('I was charged twice this month').evidence.map((e) => e.word)).toEqual([
      'charged twice',
    ]);
    expect(valence("I'm fed up with this")).toBeLessThan(-0.3);
  });

  it('keeps the valence in −1..1 however much is said', () => {
    const rant = 'terrible awful horrible worst useless garbage '.repeat(20) + '!!!!!!!!';
    expect(valence(rant)).toBeGreaterThanOrEqual(-1);
    expect(valence(rant)).toBeLessThan(-0.95);
  });
});

describe('scoreFromValence', () => {
  it('maps −1..1 onto seed 001 scale 1..10, neutral at 5', () => {
    expect(scoreFromValence(-1)).toBe(1);
    expect(scoreFromValence(-0.85)).toBe(1);
    expect(scoreFromValence(0)).toBe(5);
    expect(scoreFromValence(0.05)).toBe(6);
    expect(scoreFromValence(1)).toBe(10);
  });

  it('orders furious below annoyed below neutral below pleased below delighted', () => {
    const scores = [
      'I am FURIOUS, this is the worst service ever!!!',
      'A bit annoying that the page is slow',
      'Please send the invoice',
      'Thanks, that helped',
      'Wow, amazing support, thank you so much, I love it!',
    ].map((text) => analyzeSentiment(text).score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(scores[0]).toBeLessThanOrEqual(2);
    expect(scores[2]).toBe(5);
    expect(scores[4]).toBeGreaterThanOrEqual(9);
  });
});

describe('words that name Object.prototype members', () => {
  // `BOOSTERS[word]` once found Object.prototype.constructor: the valence became NaN, the triage row could not
  // be written (sentiment NOT NULL) and the ticket stayed in triage forever.
  it.each([
    'constructor: printer broken',
    'toString valueOf hasOwnProperty __proto__',
    'very constructor bad',
  ])('gives a finite valence and score for %p', (text) => {
    const result = analyzeSentiment(text);
    expect(Number.isFinite(result.valence)).toBe(true);
    expect(Number.isFinite(result.score)).toBe(true);
    expect(result.evidence.every((e) => Number.isFinite(e.valence))).toBe(true);
  });

  it('still lets a real booster strengthen the word after it', () => {
    expect(valence('extremely bad')).toBeLessThan(valence('bad'));
    expect(valence('constructor bad')).toBe(valence('bad'));
  });
});
