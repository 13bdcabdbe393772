import {
  CHAR_VIEW,
  COMBINED_VIEW,
  JOINT_VIEW,
  WORD_VIEW,
  type TextClassifierJson,
  fewShotClassifier,
  fitTemperature,
  textClassifierFromJSON,
  trainTextClassifier,
} from '../../src/ml/classifier';
import { loadDefaultExamples } from '../../src/ml/datasets';
import { evaluateClassifier } from '../../src/ml/evaluation';
import { decodeUint32 } from '../../src/ml/model-cache';
import { fitTfidf } from '../../src/ml/tfidf';
import { stratifiedSplit } from '../../src/ml/random';
import { fnv1a32, hashedFeatures, lightStem, tokenize } from '../../src/ml/text';

const examples = loadDefaultExamples();
const { train, test } = stratifiedSplit(examples, (e) => e.label, 0.2, 11);
const model = trainTextClassifier(train);

describe('trainTextClassifier on the default categories', () => {
  it('learns the three default categories from the shipped examples', () => {
    expect(model.labels).toEqual(['billing', 'feature_request', 'technical']);
    expect(examples.length).toBeGreaterThan(2000);
  });

  it('reaches an accuracy floor on a held-out split', () => {
    const report = evaluateClassifier(model, test);
    expect(report.accuracy).toBeGreaterThan(0.9);
    expect(report.macroF1).toBeGreaterThan(0.9);
    expect(report.ece).toBeLessThan(0.1);
  });

  it.each([
    ['I was charged twice this month, please refund one payment', 'billing'],
    ['Our invoice lists 30 seats but we only have 12 users', 'billing'],
    ['The mobile app crashes every time I open a report', 'technical'],
    ['API requests fail with a 500 error since this morning', 'technical'],
    ['It would be great if you could add a Gantt view', 'feature_request'],
    ['Please consider supporting SAML single sign-on with OneLogin', 'feature_request'],
  ])('classifies "%s" as %s and explains it', (text, label) => {
    const prediction = model.predict(text);
    expect(prediction.label).toBe(label);
    expect(prediction.evidence.length).toBeGreaterThan(0);
    // Evidence is made of words of the text itself.
    for (const phrase of prediction.evidence) {
      for (const word of phrase.split(' ')) expect(text.toLowerCase()).toContain(word);
    }
  });

  it('returns a probability for every label, highest first, summing to 1', () => {
    const { scores, label, confidence } = model.predict('refund my subscription');
    expect(scores.map((s) => s.label).sort()).toEqual([...model.labels].sort());
    expect(scores[0]).toEqual({ label, probability: confidence });
    expect(scores.reduce((sum, s) => sum + s.probability, 0)).toBeCloseTo(1, 6);
    for (let i = 1; i < scores.length; i++)
      expect(scores[i - 1]!.probability).toBeGreaterThanOrEqual(scores[i]!.probability);
  });

  it('is more confident on clear tickets than on vague ones', () => {
    const mean = (texts: string[]) =>
      texts.reduce((sum, t) => sum + model.predict(t).confidence, 0) / texts.length;
    const clear = mean([
      'I was charged twice for my subscription, please refund the duplicate payment',
      'The app crashes with an error every time I open the dashboard',
      'Feature request: please add a dark mode',
    ]);
    const vague = mean([
      'hello',
      'Can you help me?',
      'hello, can someone get back to me',
      'I have a question',
      'Thanks',
    ]);
    expect(clear).toBeGreaterThan(0.9);
    expect(vague).toBeLessThan(clear - 0.2);
  });

  it('fits a temperature on a held-out slice and reports the calibration error', () => {
    const { heldOut, temperature, eceAfter } = model.calibration;
    expect(heldOut).toBeGreaterThan(100);
    expect(temperature).toBeGreaterThanOrEqual(0.25);
    expect(temperature).toBeLessThanOrEqual(10);
    expect(eceAfter).toBeLessThan(0.05);
  });

  it('predicts fast (measured here, the target is checked by npm run eval)', () => {
    const texts = test.slice(0, 200).map((e) => e.text);
    const started = performance.now();
    for (const text of texts) model.predict(text);
    const perTicket = (performance.now() - started) / texts.length;
    // Loose on purpose: a busy CI machine must not fail this; typical is well under 1 ms.
    expect(perTicket).toBeLessThan(50);
  });
});

describe('determinism and serialisation', () => {
  const small = stratifiedSplit(examples, (e) => e.label, 0.3, 5).test;

  it('trains the identical model twice from the same data and options', () => {
    const first = trainTextClassifier(small, { epochs: 3 });
    const second = trainTextClassifier(small, { epochs: 3 });
    expect(JSON.stringify(second.toJSON())).toBe(JSON.stringify(first.toJSON()));
    const text = 'the dashboard is slow and my invoice is wrong';
    expect(second.predict(text)).toEqual(first.predict(text));
  });

  it('depends on the seed (so the determinism above is not vacuous)', () => {
    const first = trainTextClassifier(small, { epochs: 3, seed: 1 });
    const other = trainTextClassifier(small, { epochs: 3, seed: 2 });
    const weights = (json: TextClassifierJson) =>
      json.version === 2 ? json.members[0]!.weights : json.weights;
    expect(weights(other.toJSON())).not.toBe(weights(first.toJSON()));
  });

  it('round-trips through JSON with identical predictions', () => {
    const restored = textClassifierFromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(restored.labels).toEqual(model.labels);
    expect(restored.calibration).toEqual(model.calibration);
    for (const { text } of test.slice(0, 50)) expect(restored.predict(text)).toEqual(model.predict(text));
  });

  it('refuses fewer than two labels and foreign JSON', () => {
    expect(() => trainTextClassifier([{ text: 'a', label: 'x' }])).toThrow(/two labels/);
    expect(() => textClassifierFromJSON({ kind: 'other' } as never)).toThrow();
  });
});

describe('feature views and the ensemble', () => {
  it('character view: 2–5-grams inside word boundaries only, no words', () => {
    const { words, chars } = hashedFeatures('ab cd', CHAR_VIEW.features);
    expect(words.size).toBe(0);
    for (const gram of [' a', 'ab', 'b ', ' ab', 'ab ', ' ab ', ' c', 'cd ', ' cd ']) {
      expect(chars.has(fnv1a32(`c:${gram}`))).toBe(true);
    }
    // Nothing spans the space between two words.
    for (const gram of ['b c', 'b  c', 'ab c', 'b cd']) expect(chars.has(fnv1a32(`c:${gram}`))).toBe(false);
    // Per word, " ab " has 3 bigrams, 2 trigrams and 1 four-gram.
    expect(chars.size).toBe(2 * (3 + 2 + 1));
  });

  it('word view: stemmed uni- and bigrams, no characters', () => {
    const { words, chars } = hashedFeatures('refunds pending', WORD_VIEW.features);
    expect(chars.size).toBe(0);
    expect([...words.keys()].sort()).toEqual(
      [fnv1a32('w:refund'), fnv1a32('w:pend'), fnv1a32('w:refund pend')].sort(),
    );
  });

  it('trains one member per view, each with its own search result and temperature', () => {
    expect(model.members.map((member) => member.view)).toEqual([
      'stemmed words 1–2',
      'chars 2–5',
      'stemmed words 1–2 + chars 2–5',
    ]);
    for (const member of model.members) {
      expect(member.temperature).toBeGreaterThanOrEqual(0.25);
      expect(member.temperature).toBeLessThanOrEqual(10);
      expect(member.validationLogLoss).not.toBeNull();
    }
  });

  it('joint view: the word and the character n-grams of the two other views, in one space', () => {
    const text = 'Refunds pending since Monday';
    const joint = hashedFeatures(text, JOINT_VIEW.features);
    const words = hashedFeatures(text, WORD_VIEW.features).words;
    const chars = hashedFeatures(text, CHAR_VIEW.features).chars;
    expect([...joint.words.keys()].sort()).toEqual([...words.keys()].sort());
    expect([...joint.chars.keys()].sort()).toEqual([...chars.keys()].sort());
  });

  it('gives each member a share of the ensemble, on a 0.1 grid, summing to 1', () => {
    const shares = model.members.map((member) => member.weight!);
    for (const share of shares) {
      expect(share).toBeGreaterThanOrEqual(0);
      expect(Math.round(share * 10) / 10).toBeCloseTo(share, 12);
    }
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    // The shares travel with the model.
    const restored = textClassifierFromJSON(JSON.parse(JSON.stringify(model.toJSON())));
    expect(restored.members.map((member) => member.weight)).toEqual(shares);
  });

  it('trains the members again on the validation slice too, after the search', () => {
    // Words that only the validation slice has: the refitted members know them, the searched ones do not.
    const { train: searchPart, test: slice } = stratifiedSplit(train, (e) => e.label, 0.1, 1);
    const known = new Set(searchPart.flatMap((e) => tokenize(e.text).map(lightStem)));
    const onlyInSlice = [...new Set(slice.flatMap((e) => tokenize(e.text).map(lightStem)))].filter(
      (word) => !known.has(word) && /^[a-z]{4,}$/.test(word),
    );
    expect(onlyInSlice.length).toBeGreaterThan(0);
    const wordTerms = (m: typeof model) => {
      const json = m.toJSON();
      if (json.version !== 2) throw new Error('expected a version-2 model');
      return new Set(decodeUint32(json.members[0]!.tfidf.terms));
    };
    const refitted = wordTerms(model);
    const searchedOnly = wordTerms(trainTextClassifier(train, { refit: false }));
    for (const word of onlyInSlice) {
      expect(refitted.has(fnv1a32(`w:${word}`))).toBe(true);
      expect(searchedOnly.has(fnv1a32(`w:${word}`))).toBe(false);
    }
    expect(model.members.every((member) => member.refitted)).toBe(true);
  });

  it('calibrated and uncalibrated probabilities both sum to 1 and agree on the winner', () => {
    for (const { text } of test.slice(0, 30)) {
      const calibrated = model.probabilities(text);
      const raw = model.probabilities(text, false);
      expect(calibrated.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      expect(raw.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
      const prediction = model.predict(text);
      expect(prediction.confidence).toBeCloseTo(Math.max(...calibrated), 12);
      expect(model.labels[calibrated.indexOf(Math.max(...calibrated))]).toBe(prediction.label);
    }
  });

  it('loads a version-1 model (one feature space, one temperature) with the same predictions', () => {
    const single = trainTextClassifier(train.slice(0, 600), {
      views: [COMBINED_VIEW],
      l2Candidates: [],
      epochs: 3,
    });
    const json = single.toJSON();
    if (json.version !== 2) throw new Error('expected a version-2 model');
    expect(json.members).toHaveLength(1);
    expect(json.members[0]!.summary.temperature).toBe(1);
    const v1: TextClassifierJson = {
      kind: 'tfidf-logreg',
      version: 1,
      labels: json.labels,
      tfidf: json.members[0]!.tfidf,
      weights: json.members[0]!.weights,
      bias: json.members[0]!.bias,
      calibration: json.calibration,
    };
    const restored = textClassifierFromJSON(v1);
    for (const { text } of test.slice(0, 20)) {
      const a = restored.predict(text);
      const b = single.predict(text);
      expect(a.label).toBe(b.label);
      expect(a.confidence).toBeCloseTo(b.confidence, 9);
    }
  });
});

describe('regularisation search', () => {
  const small = stratifiedSplit(examples, (e) => e.label, 0.25, 3).test;

  it('picks the L2 strength with the lower validation log-loss, from the held-out slice only', () => {
    // An absurd penalty (every update shrinks the weights to nothing) must lose on the validation slice.
    const searched = trainTextClassifier(small, {
      l2Candidates: [1e-4, 5],
      epochs: 4,
      minEpochs: 2,
      views: [WORD_VIEW, CHAR_VIEW],
    });
    for (const member of searched.members) {
      expect(member.candidates.map((c) => c.l2)).toEqual([1e-4, 5]);
      const [good, absurd] = member.candidates;
      expect(absurd!.logLoss).toBeGreaterThan(good!.logLoss);
      expect(member.l2).toBe(1e-4);
      expect(member.validationLogLoss).toBe(good!.logLoss);
      expect(member.epochs).toBeGreaterThanOrEqual(2);
      expect(member.epochs).toBeLessThanOrEqual(4);
    }
    // The validation slice is the stratified calibration share of the training data, nothing else.
    const expected = stratifiedSplit(small, (e) => e.label, 0.1, 1).test.length;
    expect(searched.calibration.heldOut).toBe(expected);
  });

  it('follows the validation slice: the same candidates in the other order choose the same strength', () => {
    const reversed = trainTextClassifier(small, {
      l2Candidates: [5, 1e-4],
      epochs: 4,
      minEpochs: 2,
      views: [WORD_VIEW],
    });
    for (const member of reversed.members) expect(member.l2).toBe(1e-4);
  });

  it('without a validation slice, trains the given L2 and epochs and leaves the temperatures at 1', () => {
    const plain = trainTextClassifier(small, { calibrationFraction: 0, epochs: 3, views: [WORD_VIEW] });
    expect(plain.calibration).toEqual({ temperature: 1, heldOut: 0, eceBefore: 0, eceAfter: 0 });
    for (const member of plain.members) {
      expect(member).toMatchObject({ l2: 1e-4, epochs: 3, temperature: 1, validationLogLoss: null });
    }
  });
});

describe('cross-validated calibration (few examples)', () => {
  const few = stratifiedSplit(examples, (e) => e.label, 0.03, 9).test;

  it('trains on every example and fits the temperature on out-of-fold predictions', () => {
    const model = trainTextClassifier(few, { calibrationFraction: 0, calibrationFolds: 3 });
    expect(model.calibration.heldOut).toBe(few.length);
    expect(model.calibration.temperature).not.toBe(1);
    expect(model.calibration.eceAfter).toBeLessThanOrEqual(model.calibration.eceBefore);
    for (const member of model.members) expect(member.candidates).toEqual([]);
    const plain = trainTextClassifier(few, { calibrationFraction: 0 });
    // Same weights as the uncalibrated model trained on everything: only the temperature differs.
    for (const { text } of test.slice(0, 10)) {
      expect(model.probabilities(text, false)).toEqual(plain.probabilities(text, false));
    }
  });
});

describe('fitTemperature', () => {
  it('cools an overconfident model and warms an underconfident one', () => {
    // Logits that always claim ~100% but are right only 60% of the time: T must rise above 1.
    const labels = Array.from({ length: 100 }, (_, i) => (i % 5 < 3 ? 0 : 1));
    const overconfident = labels.map(() => Float64Array.from([8, 0]));
    expect(fitTemperature(overconfident, labels).temperature).toBeGreaterThan(1);
    // Logits that say 55% but are always right: T must fall below 1.
    const underconfident = labels.map((label) => Float64Array.from(label === 0 ? [0.2, 0] : [0, 0.2]));
    const fitted = fitTemperature(underconfident, labels);
    expect(fitted.temperature).toBeLessThan(1);
    expect(fitted.eceAfter).toBeLessThan(fitted.eceBefore);
  });
});

describe('fewShotClassifier', () => {
  const teams = fewShotClassifier(
    [
      { name: 'payments', description: 'invoices, charges, refunds and payment methods' },
      { name: 'access', description: 'login, password reset, two-factor authentication, locked accounts' },
      {
        name: 'integrations',
        examples: [
          'The Slack integration stopped posting',
          'Salesforce sync duplicates contacts',
          'webhook fails',
        ],
      },
    ],
    { fallbackLabel: 'other' },
  );

  it.each([
    ['Why was my card charged twice? I want a refund', 'payments'],
    ['I forgot my password and the reset email never arrives', 'access'],
    ['Our Slack integration does not post messages anymore', 'integrations'],
  ])('%s → %s', (text, label) => {
    const prediction = teams.predict(text);
    expect(prediction.label).toBe(label);
    expect(prediction.evidence.length).toBeGreaterThan(0);
  });

  it('falls back when nothing is similar enough, and is fairly sure of it', () => {
    const prediction = teams.predict('What is the weather like in Lisbon?');
    expect(prediction.label).toBe('other');
    expect(prediction.confidence).toBeGreaterThan(0.5);
  });

  it('gives higher confidence to a clearer match', () => {
    const clear = teams.predict('refund the charge on my invoice, payment method was charged twice');
    const weak = teams.predict('a question about a charge');
    expect(clear.label).toBe('payments');
    expect(clear.confidence).toBeGreaterThan(weak.confidence);
  });

  it('always answers a class when no fallback is configured', () => {
    const noFallback = fewShotClassifier([{ name: 'billing' }, { name: 'technical' }]);
    expect(['billing', 'technical']).toContain(noFallback.predict('the weather in Lisbon').label);
  });

  it('is deterministic', () => {
    const again = fewShotClassifier(
      [
        { name: 'a', examples: ['alpha beta'] },
        { name: 'b', examples: ['gamma delta'] },
      ],
      {},
    );
    expect(again.predict('beta alpha')).toEqual(again.predict('beta alpha'));
    expect(again.similarities('beta alpha')[0]).toBeGreaterThan(again.similarities('beta alpha')[1]!);
  });

  it("counts a background's document frequencies once, for the same model as a fresh copy of it", () => {
    const background = examples.slice(0, 300).map((e) => e.text);
    const classes = [
      { name: 'payments', description: 'invoices, charges, refunds' },
      { name: 'access', examples: ['cannot log in', 'password reset fails'] },
    ];
    const probes = ['refund my invoice', 'login fails after the password reset', 'the weather'];
    const first = fewShotClassifier(classes, { background });
    const cached = fewShotClassifier(classes, { background });
    const fresh = fewShotClassifier(classes, { background: [...background] });
    for (const text of probes) {
      expect(cached.similarities(text)).toEqual(first.similarities(text));
      expect(fresh.similarities(text)).toEqual(first.similarities(text));
    }
    // The counts depend on the features too: other options with the same background array get their own.
    const words = fitTfidf(['refund my invoice'], WORD_VIEW, background);
    const again = fitTfidf(['refund my invoice'], WORD_VIEW, [...background]);
    expect(Array.from(words.idf)).toEqual(Array.from(again.idf));
    expect(Array.from(words.terms)).toEqual(Array.from(again.terms));
  });
});
