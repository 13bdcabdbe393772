import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  MAX_TRAINING_EXAMPLES,
  MIN_TRAINING_EXAMPLES,
  OFFLINE_FEW_SHOT_MODEL_NAME,
  OFFLINE_MODEL_NAME,
  OFFLINE_TENANT_MODEL_NAME,
  createOfflineClassifier,
  loadFewShotBackground,
  normalizeCategories,
  trainTenantCategories,
} from '../../src/ml/offline-classifier';
import { loadBanking77 } from '../../src/ml/datasets';
import { evaluateClassifier } from '../../src/ml/evaluation';
import { seededRandom, shuffled, stratifiedSplit } from '../../src/ml/random';
import type { Classifier } from '../../src/connectors/ai/ports';
import { DEFAULT_CATEGORIES, PRIORITIES, PRODUCTS, URGENCIES } from '../../src/domain/vocabulary';

const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-classifier-'));
afterAll(() => fs.rmSync(cacheDir, { recursive: true, force: true }));

// Typed as the port: the offline classifier must be a drop-in Classifier.
const classifier: Classifier = createOfflineClassifier({ cacheDir });
const defaults = { categories: DEFAULT_CATEGORIES, products: PRODUCTS };

describe('createOfflineClassifier with the default categories', () => {
  it('returns a complete Classification with the trained model', async () => {
    const result = await classifier.classify({
      text: 'I was charged twice this month and I am really frustrated. Please refund the duplicate payment.',
      ...defaults,
    });
    expect(result).toEqual({
      category: 'billing',
      urgency: 'high',
      suggestedPriority: 'high',
      sentiment: expect.any(Number),
      product: 'GENERAL',
      language: 'en',
      confidence: expect.any(Number),
      reasoning: expect.any(String),
      model: OFFLINE_MODEL_NAME,
      latencyMs: expect.any(Number),
      promptTokens: 0,
      completionTokens: 0,
    });
    expect(result.sentiment).toBeGreaterThanOrEqual(1);
    expect(result.sentiment).toBeLessThanOrEqual(4);
    expect(result.confidence).toBeGreaterThan(0.8);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect(Number.isInteger(result.latencyMs)).toBe(true);
  });

  it('names the evidence words in its reasoning', async () => {
    const result = await classifier.classify({
      text: 'Production is down for all users, the API returns 500',
      ...defaults,
    });
    expect(result.category).toBe('technical');
    expect(result.urgency).toBe('critical');
    expect(result.reasoning).toMatch(/category technical \(\d+%\): "/);
    expect(result.reasoning).toContain('"production is down"');
    expect(result.reasoning).toContain('"all users"');
    expect(result.reasoning).toMatch(/language en/);
  });

  it('keeps every field inside the vocabulary', async () => {
    const texts = [
      'Please add a dark mode, no rush',
      'Our ZTNA connector disconnects every hour',
      'Die App stürzt ständig ab, das ist sehr ärgerlich!',
      'ok',
      '',
    ];
    for (const text of texts) {
      const result = await classifier.classify({ text, ...defaults });
      expect(DEFAULT_CATEGORIES).toContain(result.category);
      expect(URGENCIES).toContain(result.urgency);
      expect(PRIORITIES).toContain(result.suggestedPriority);
      expect(PRODUCTS).toContain(result.product);
      expect(result.confidence).toBeGreaterThanOrEqual(0);
      expect(result.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('recognises product, language and feature requests', async () => {
    const ztna = await classifier.classify({
      text: 'Our ZTNA connector disconnects every hour',
      ...defaults,
    });
    expect(ztna.product).toBe('ZTNA');
    const german = await classifier.classify({
      text: 'Die App stürzt ständig ab, das ist sehr ärgerlich!',
      ...defaults,
    });
    expect(german.language).toBe('de');
    expect(german.category).toBe('technical');
    const idea = await classifier.classify({ text: 'Please add a dark mode, no rush', ...defaults });
    expect(idea.category).toBe('feature_request');
    expect(idea.urgency).toBe('low');
  });

  it('treats the default list in any order, or as objects, as the default list', async () => {
    const text = 'my invoice shows the wrong VAT number';
    const shuffled = await classifier.classify({
      text,
      categories: ['technical', 'feature_request', 'billing'],
      products: PRODUCTS,
    });
    expect(shuffled.model).toBe(OFFLINE_MODEL_NAME);
    expect(shuffled.category).toBe('billing');
    const offline = createOfflineClassifier({ cacheDir });
    const asObjects = await offline.classify({
      text,
      categories: DEFAULT_CATEGORIES.map((name) => ({ name })),
      products: PRODUCTS,
    });
    expect(asObjects.model).toBe(OFFLINE_MODEL_NAME);
  });
});

describe('model cache', () => {
  it('trains once, then later instances load the cached model and answer identically', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'offline-cache-'));
    try {
      const first = createOfflineClassifier({ cacheDir: dir });
      expect((await first.warmUp()).fromCache).toBe(false);
      expect(fs.readdirSync(dir).filter((file) => file.endsWith('.json'))).toHaveLength(1);
      const second = createOfflineClassifier({ cacheDir: dir });
      expect((await second.warmUp()).fromCache).toBe(true);
      const input = { text: 'The export button throws an error', ...defaults };
      const [a, b] = [await first.classify(input), await second.classify(input)];
      expect({ ...b, latencyMs: 0 }).toEqual({ ...a, latencyMs: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works without a cache', async () => {
    const uncached = createOfflineClassifier({ cacheDir: null });
    const result = await uncached.classify({ text: 'refund please', ...defaults });
    expect(result.category).toBe('billing');
  });
});

describe("a tenant's own categories and products", () => {
  const offline = createOfflineClassifier({ cacheDir });

  it('uses the few-shot model for other category names, helped by common-queue hints', async () => {
    const categories = ['Payments', 'Login & Access', 'Bugs'];
    const payment = await offline.classify({
      text: 'Why was my card charged twice?',
      categories,
      products: PRODUCTS,
    });
    expect(payment.model).toBe(OFFLINE_FEW_SHOT_MODEL_NAME);
    expect(payment.category).toBe('Payments');
    const login = await offline.classify({
      text: 'I am locked out, the password reset fails',
      categories,
      products: PRODUCTS,
    });
    expect(login.category).toBe('Login & Access');
  });

  it('uses descriptions and examples when the caller gives them', async () => {
    const categories = [
      { name: 'Fleet', description: 'trucks, drivers, routes and vehicle maintenance' },
      { name: 'Warehouse', examples: ['pallet scanner offline', 'stock count is wrong in aisle 4'] },
      { name: 'Other' },
    ];
    const fleet = await offline.classify({
      text: 'Driver 12 cannot see his route today',
      categories,
      products: [],
    });
    expect(fleet.category).toBe('Fleet');
    expect(fleet.product).toBe('GENERAL');
    const warehouse = await offline.classify({
      text: 'The pallet scanner shows offline again',
      categories,
      products: [],
    });
    expect(warehouse.category).toBe('Warehouse');
    const unrelated = await offline.classify({
      text: 'Happy new year to the whole team!',
      categories,
      products: [],
    });
    expect(unrelated.category).toBe('Other');
  });

  it("classifies a tenant's own product list, with GENERAL as fallback when listed", async () => {
    const products = ['Mobile App', 'Web Portal', 'GENERAL'];
    const mobile = await offline.classify({
      text: 'The mobile app crashes on Android',
      categories: DEFAULT_CATEGORIES,
      products,
    });
    expect(mobile.product).toBe('Mobile App');
    const none = await offline.classify({
      text: "I need last month's invoice",
      categories: DEFAULT_CATEGORIES,
      products,
    });
    expect(none.product).toBe('GENERAL');
  });

  it('normalizeCategories accepts names and specs and adds hints only where nothing was given', () => {
    const specs = normalizeCategories([
      'Billing questions',
      { name: 'Bugs', description: 'defects' },
      'Zebra',
    ]);
    expect(specs[0]!.description).toMatch(/invoice/);
    expect(specs[1]).toEqual({ name: 'Bugs', description: 'defects' });
    expect(specs[2]).toEqual({ name: 'Zebra' });
  });
});

describe("a tenant's categories with a few examples each (trainTenantCategories)", () => {
  const background = loadFewShotBackground();
  const { train, test } = stratifiedSplit(loadBanking77(), (e) => e.label, 0.2, 42);
  const intents = ['card_arrival', 'exchange_rate', 'lost_or_stolen_card', 'pin_blocked', 'top_up_failed'];
  const specsWith = (k: number) =>
    normalizeCategories(
      intents.map((intent) => ({
        name: intent.replace(/_/g, ' '),
        examples: shuffled(
          train.filter((e) => e.label === intent),
          seededRandom(k),
        )
          .slice(0, k)
          .map((e) => e.text),
      })),
    );
  const heldOut = test
    .filter((e) => intents.includes(e.label))
    .map((e) => ({ text: e.text, label: e.label.replace(/_/g, ' ') }));

  it('trains on 5 examples per category and beats chance by far on held-out utterances', () => {
    const model = trainTenantCategories(specsWith(5), background);
    expect(model.modelName).toBe(OFFLINE_TENANT_MODEL_NAME);
    const report = evaluateClassifier(model, heldOut);
    expect(heldOut.length).toBeGreaterThan(30);
    // Chance is 0.2 with five categories.
    expect(report.accuracy).toBeGreaterThan(0.7);
    expect(report.macroF1).toBeGreaterThan(0.7);
  });

  it('gives calibrated probabilities over the whole list, summing to 1', () => {
    const model = trainTenantCategories(specsWith(5), background);
    const { scores, label, confidence } = model.predict('my card still has not arrived');
    expect(label).toBe('card arrival');
    expect(scores.map((s) => s.label).sort()).toEqual(intents.map((i) => i.replace(/_/g, ' ')).sort());
    expect(scores.reduce((sum, s) => sum + s.probability, 0)).toBeCloseTo(1, 6);
    expect(confidence).toBeLessThan(1);
  });

  it('answers a catch-all category without examples when nothing is similar enough', () => {
    const model = trainTenantCategories([...specsWith(5), { name: 'Other' }], background);
    expect(model.modelName).toBe(OFFLINE_TENANT_MODEL_NAME);
    expect(model.predict('What is the weather like in Lisbon?').label).toBe('Other');
    const lost = model.predict('I lost my card yesterday, please block it');
    expect(lost.label).toBe('lost or stolen card');
    expect(lost.scores.find((s) => s.label === 'Other')?.probability).toBe(0);
  });

  it(`keeps the few-shot model while a category has fewer than ${MIN_TRAINING_EXAMPLES} examples`, () => {
    const specs = specsWith(5);
    specs[0] = { ...specs[0]!, examples: specs[0]!.examples!.slice(0, MIN_TRAINING_EXAMPLES - 1) };
    expect(trainTenantCategories(specs, background).modelName).toBe(OFFLINE_FEW_SHOT_MODEL_NAME);
    expect(trainTenantCategories([...specsWith(5), { name: 'Refunds' }], background).modelName).toBe(
      OFFLINE_FEW_SHOT_MODEL_NAME,
    );
  });

  it('caps the examples it trains on, and keeps the few-shot model when the cap leaves too few', () => {
    const many = Array.from(
      { length: Math.floor(MAX_TRAINING_EXAMPLES / MIN_TRAINING_EXAMPLES) + 1 },
      (_, i) => ({
        name: `queue ${i}`,
        examples: [`alpha ${i}`, `beta ${i}`, `gamma ${i}`],
      }),
    );
    expect(trainTenantCategories(many, background).modelName).toBe(OFFLINE_FEW_SHOT_MODEL_NAME);
    expect(trainTenantCategories(many.slice(0, 3), background).modelName).toBe(OFFLINE_TENANT_MODEL_NAME);
  });

  it('is what classify() uses for such a list', async () => {
    const offline = createOfflineClassifier({ cacheDir });
    const result = await offline.classify({
      text: 'The exchange rate you applied is wrong',
      categories: specsWith(5),
      products: [],
    });
    expect(result.model).toBe(OFFLINE_TENANT_MODEL_NAME);
    expect(result.category).toBe('exchange rate');
  });
});
