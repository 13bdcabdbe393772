/**
 * The offline `Classifier`: everything a triage needs, computed locally and deterministically.
 *
 * - category: for the default categories, the logistic-regression model trained on
 *   data/triage/default-examples.csv (trained on first use, then cached on disk by a hash of the data);
 *   for a tenant's own list, the few-shot nearest-centroid model over the names (and descriptions/examples).
 * - product: few-shot over the product catalogue, GENERAL when nothing matches.
 * - language, sentiment, urgency: the rule-based models of this folder.
 */
import type { CategorySpec, ClassifyInput, Classifier } from '../connectors/ai/ports';
import type { Classification } from '../domain/triage';
import { DEFAULT_CATEGORIES, PRODUCTS } from '../domain/vocabulary';
import {
  type FewShotClass,
  type FewShotModel,
  type Prediction,
  type TextClassifier,
  type TextClassifierJson,
  type TextModel,
  type TrainOptions,
  type TrainingExample,
  CHAR_VIEW,
  DEFAULT_TRAIN_OPTIONS,
  WORD_VIEW,
  fewShotClassifier,
  textClassifierFromJSON,
  trainTextClassifier,
} from './classifier';
import { findDataDir, loadBitext, loadDefaultExamples } from './datasets';
import { detectLanguage } from './language';
import { defaultCacheDir, loadOrBuild, sha256 } from './model-cache';
import { GENERAL_PRODUCT, PRODUCT_CATALOG, createProductClassifier } from './products';
import { analyzeSentiment } from './sentiment';
import { type TextClassifierTrainer, createTextClassifierTrainer } from './train-thread';
import { assessUrgency } from './urgency';

export const OFFLINE_MODEL_NAME = 'offline-tfidf-logreg-v1';
export const OFFLINE_FEW_SHOT_MODEL_NAME = 'offline-tfidf-centroid-v1';
/** A tenant's list whose every category has examples: the ensemble trained on them. */
export const OFFLINE_TENANT_MODEL_NAME = 'offline-tfidf-logreg-tenant-v1';

/** A category as a tenant may define it: a name, optionally what it means and a few example tickets. */
export type { CategorySpec };

/** `ClassifyInput` whose categories may carry descriptions and examples (plain names still work). */
export type OfflineClassifyInput = ClassifyInput;

export interface OfflineClassifierOptions {
  /** Where trained models are cached; null disables the cache. Default `.data/models`. */
  cacheDir?: string | null;
  /** The project's data directory (default: found above this module). */
  dataDir?: string;
  /**
   * Trains the models of tenants' own category lists. Default: on worker threads, one at a time
   * (train-thread.ts), so a list's first ticket does not stall the process's event loop.
   */
  trainer?: TextClassifierTrainer;
}

export interface OfflineClassifier extends Classifier {
  classify(input: OfflineClassifyInput): Promise<Classification>;
  /** Trains or loads the models now instead of on the first ticket; reports how long that took. */
  warmUp(): Promise<{ trainingMs: number; fromCache: boolean }>;
}

/** Category names with no description get one from here when they name a common support queue. */
const COMMON_CATEGORY_HINTS: ReadonlyArray<[RegExp, string]> = [
  [
    /bill|invoice|payment|charge|pric|subscri|refund/i,
    'invoice charge charged payment refund subscription plan price card receipt',
  ],
  [
    /tech|bug|error|incident|defect|support/i,
    'error bug crash broken not working fails cannot login outage slow api',
  ],
  [
    /feature|request|idea|suggest|enhance|wish/i,
    'please add feature request would be great suggestion support for roadmap wish',
  ],
  [
    /account|login|access|password|auth/i,
    'account login sign in password reset access locked out two-factor sso',
  ],
  [/ship|deliver|order/i, 'order delivery shipping package tracking address arrived'],
  [/cancel|churn/i, 'cancel cancellation close account end subscription terminate'],
  [
    /secur|privacy|compliance|gdpr/i,
    'security breach vulnerability privacy gdpr compliance data protection hacked',
  ],
  [/integrat|api|webhook/i, 'integration api webhook connector sync token endpoint'],
  [/perform|latency|slow/i, 'slow performance latency timeout loading takes long'],
  [
    /onboard|setup|training|how.?to|question/i,
    'how do i setup configure getting started question documentation',
  ],
];

export function normalizeCategories(categories: readonly (string | CategorySpec)[]): CategorySpec[] {
  return categories.map((category) => {
    const spec = typeof category === 'string' ? { name: category } : category;
    if (spec.description || (spec.examples && spec.examples.length > 0)) return spec;
    const hint = COMMON_CATEGORY_HINTS.find(([pattern]) => pattern.test(spec.name))?.[1];
    return hint ? { ...spec, description: hint } : spec;
  });
}

function isDefaultCategoryList(categories: readonly CategorySpec[]): boolean {
  const names = new Set(categories.map((category) => category.name));
  return names.size === DEFAULT_CATEGORIES.length && DEFAULT_CATEGORIES.every((name) => names.has(name));
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((item) => set.has(item));
}

const FALLBACK_CATEGORY = /^(general|other|misc)/i;
const FEW_SHOT_CACHE_LIMIT = 200;
const MAX_TEXT_CHARS = 20_000;

/**
 * Ordinary tickets (the default examples and Bitext's requests): they tell the few-shot models which words are
 * too common to identify a class.
 */
export function loadFewShotBackground(
  dataDir: string = findDataDir(),
  examples: readonly TrainingExample[] = loadDefaultExamples(dataDir),
): string[] {
  return [...examples.map((example) => example.text), ...loadBitext(dataDir).map((row) => row.instruction)];
}

/** Examples every category of a tenant's list needs before the list gets a trained model. */
export const MIN_TRAINING_EXAMPLES = 3;

/**
 * The trained model is built on the first ticket that uses the list (on a worker thread, train-thread.ts; the
 * ticket waits for it): its examples are capped (the first ones of each category, at most 20 each and 400 in
 * all) so that stays around a second.
 */
export const MAX_TRAINING_EXAMPLES_PER_CATEGORY = 20;
export const MAX_TRAINING_EXAMPLES = 400;

/**
 * Few examples: the temperature comes from 3-fold out-of-fold predictions, nothing is held out. The word and
 * character members only: the joint third member did not help with 5–20 examples per category (eval) and would
 * make the training half as long again.
 */
const TENANT_TRAIN_OPTIONS: Partial<TrainOptions> = {
  calibrationFraction: 0,
  calibrationFolds: 3,
  views: [WORD_VIEW, CHAR_VIEW],
};

export interface TenantCategoryModel extends TextModel {
  /** What `Classification.model` records: the trained model or the few-shot (nearest-centroid) one. */
  readonly modelName: string;
}

/**
 * The model of a tenant's own category list (already through `normalizeCategories`), as a ticket gets it.
 *
 * - Every category has at least MIN_TRAINING_EXAMPLES examples (a catch-all "general"/"other" may have none):
 *   the word + character logistic-regression ensemble trained on the examples (and each category's name and
 *   description), its confidence calibrated by cross-validation; the catch-all is answered when the few-shot
 *   model finds nothing similar enough.
 * - Otherwise (names, descriptions, a few examples here and there): the few-shot nearest-centroid model,
 *   falling back to the catch-all when nothing is similar enough.
 *
 * `npm run eval` measures it with 5, 10 and 20 examples per category.
 */
export function trainTenantCategories(
  specs: readonly CategorySpec[],
  background: readonly string[],
): TenantCategoryModel {
  const plan = planTenantCategories(specs, background);
  return tenantCategoryModel(plan, plan.examples && trainTextClassifier(plan.examples, TENANT_TRAIN_OPTIONS));
}

/** `trainTenantCategories` with the training done by `trainer` (a worker thread in the product). */
export async function trainTenantCategoriesWith(
  specs: readonly CategorySpec[],
  background: readonly string[],
  trainer: TextClassifierTrainer,
): Promise<TenantCategoryModel> {
  const plan = planTenantCategories(specs, background);
  return tenantCategoryModel(
    plan,
    plan.examples && (await trainer.train(plan.examples, TENANT_TRAIN_OPTIONS)),
  );
}

interface TenantCategoryPlan {
  specs: readonly CategorySpec[];
  fallback: string | undefined;
  nearest: FewShotModel;
  untrained: readonly CategorySpec[];
  /** What the trained model learns from; undefined: the list gets the few-shot model. */
  examples?: TrainingExample[];
}

function planTenantCategories(
  specs: readonly CategorySpec[],
  background: readonly string[],
): TenantCategoryPlan {
  const fallback = specs.find((spec) => FALLBACK_CATEGORY.test(spec.name))?.name;
  const nearest = fewShotClassifier(specs, { background, fallbackLabel: fallback });
  const trainable = specs.filter((spec) => (spec.examples?.length ?? 0) >= MIN_TRAINING_EXAMPLES);
  const untrained = specs.filter((spec) => !trainable.includes(spec));
  const perCategory = Math.min(
    MAX_TRAINING_EXAMPLES_PER_CATEGORY,
    Math.floor(MAX_TRAINING_EXAMPLES / Math.max(1, trainable.length)),
  );
  if (
    trainable.length < 2 ||
    perCategory < MIN_TRAINING_EXAMPLES ||
    untrained.some((spec) => spec.name !== fallback)
  ) {
    return { specs, fallback, nearest, untrained };
  }
  const examples = trainable.flatMap((spec) => [
    { text: `${spec.name.replace(/[_-]+/g, ' ')} ${spec.description ?? ''}`.trim(), label: spec.name },
    ...(spec.examples ?? []).slice(0, perCategory).map((text) => ({ text, label: spec.name })),
  ]);
  return { specs, fallback, nearest, untrained, examples };
}

function tenantCategoryModel(
  plan: TenantCategoryPlan,
  trained: TextClassifier | undefined,
): TenantCategoryModel {
  const { nearest, fallback, untrained } = plan;
  if (!trained) {
    return {
      labels: nearest.labels,
      predict: (text) => nearest.predict(text),
      modelName: OFFLINE_FEW_SHOT_MODEL_NAME,
    };
  }
  return {
    labels: plan.specs.map((spec) => spec.name),
    modelName: OFFLINE_TENANT_MODEL_NAME,
    predict(text: string): Prediction {
      if (fallback !== undefined && untrained.length > 0) {
        const guess = nearest.predict(text);
        if (guess.label === fallback) return guess;
      }
      const prediction = trained.predict(text);
      const unscored = untrained.map((spec) => ({ label: spec.name, probability: 0 }));
      return { ...prediction, scores: [...prediction.scores, ...unscored] };
    },
  };
}

interface Models {
  defaultCategories: TextClassifier;
  defaultProducts: FewShotModel;
  background: readonly string[];
  trainingMs: number;
  fromCache: boolean;
}

export function createOfflineClassifier(options: OfflineClassifierOptions = {}): OfflineClassifier {
  const cacheDir = options.cacheDir === null ? undefined : (options.cacheDir ?? defaultCacheDir());
  let models: Promise<Models> | undefined;
  // Few-shot models of tenants' own lists, keyed by the list: an explicit cache, bounded, oldest out first.
  const fewShotCache = new Map<string, TextModel>();
  // Models of tenants' own category lists, keyed by the list: a promise, so the tickets that arrive while a
  // list trains wait for the one training; a failed training is forgotten (the next ticket tries again).
  const categoryModels = new Map<string, Promise<TenantCategoryModel>>();
  let trainer = options.trainer;

  const loadModels = (): Promise<Models> => {
    models ??= Promise.resolve().then(() => {
      const started = performance.now();
      const dataDir = options.dataDir ?? findDataDir();
      const examples = loadDefaultExamples(dataDir);
      const key = sha256(OFFLINE_MODEL_NAME, JSON.stringify(DEFAULT_TRAIN_OPTIONS), JSON.stringify(examples));
      const { model, fromCache } = loadOrBuild(
        { dir: cacheDir, name: 'triage-default', key },
        () => trainTextClassifier(examples.map(({ text, label }) => ({ text, label }))),
        { toJSON: (m) => m.toJSON(), fromJSON: (json) => textClassifierFromJSON(json as TextClassifierJson) },
      );
      const background = loadFewShotBackground(dataDir, examples);
      return {
        defaultCategories: model,
        defaultProducts: createProductClassifier(background),
        background,
        trainingMs: Math.round(performance.now() - started),
        fromCache,
      };
    });
    // A failed load (e.g. missing data) is retried on the next call rather than cached forever.
    models.catch(() => (models = undefined));
    return models;
  };

  const fewShot = <T extends TextModel>(key: string, build: () => T): T => {
    const cached = fewShotCache.get(key);
    if (cached) return cached as T;
    const model = build();
    if (fewShotCache.size >= FEW_SHOT_CACHE_LIMIT) fewShotCache.delete(fewShotCache.keys().next().value!);
    fewShotCache.set(key, model);
    return model;
  };

  const categoryModel = (loaded: Models, specs: CategorySpec[]): Promise<TenantCategoryModel> => {
    const key = JSON.stringify(specs);
    const cached = categoryModels.get(key);
    if (cached) return cached;
    trainer ??= createTextClassifierTrainer();
    const model = trainTenantCategoriesWith(specs, loaded.background, trainer);
    if (categoryModels.size >= FEW_SHOT_CACHE_LIMIT)
      categoryModels.delete(categoryModels.keys().next().value!);
    categoryModels.set(key, model);
    model.catch(() => {
      if (categoryModels.get(key) === model) categoryModels.delete(key);
    });
    return model;
  };

  const categoryPrediction = async (loaded: Models, specs: CategorySpec[], text: string) => {
    if (isDefaultCategoryList(specs)) {
      return { prediction: loaded.defaultCategories.predict(text), model: OFFLINE_MODEL_NAME };
    }
    const model = await categoryModel(loaded, specs);
    return { prediction: model.predict(text), model: model.modelName };
  };

  const productPrediction = (loaded: Models, products: readonly string[], text: string): Prediction => {
    if (products.length === 0) return { label: GENERAL_PRODUCT, confidence: 1, scores: [], evidence: [] };
    if (sameSet(products, PRODUCTS)) return loaded.defaultProducts.predict(text);
    const specific = products.filter((name) => name !== GENERAL_PRODUCT);
    if (specific.length === 0) return { label: products[0]!, confidence: 1, scores: [], evidence: [] };
    const catalog: FewShotClass[] = specific.map(
      (name) => PRODUCT_CATALOG.find((known) => known.name === name) ?? { name },
    );
    const model = fewShot(`products:${JSON.stringify(catalog)}`, () =>
      fewShotClassifier(catalog, {
        background: loaded.background,
        fallbackLabel: products.includes(GENERAL_PRODUCT) ? GENERAL_PRODUCT : undefined,
        minSimilarity: 0.1,
      }),
    );
    return model.predict(text);
  };

  return {
    async warmUp() {
      const loaded = await loadModels();
      return { trainingMs: loaded.trainingMs, fromCache: loaded.fromCache };
    },

    async classify(input: OfflineClassifyInput): Promise<Classification> {
      // Timed from the call: the first ticket also pays for loading (or training) the models.
      const started = performance.now();
      const loaded = await loadModels();
      // A pasted log or e-mail thread can be huge; its first part says what the ticket is about.
      const text = input.text.slice(0, MAX_TEXT_CHARS);
      const specs = normalizeCategories(input.categories);
      if (specs.length === 0) throw new Error('classify needs at least one category');

      const { prediction: category, model } = await categoryPrediction(loaded, specs, text);
      const product = productPrediction(loaded, input.products, text);
      const language = detectLanguage(text);
      const sentiment = analyzeSentiment(text, language.language);
      const urgency = assessUrgency(text, { valence: sentiment.valence, category: category.label });

      const reasoning = [
        `category ${category.label} (${percent(category.confidence)})${listed(category.evidence)}`,
        `urgency ${urgency.urgency}${urgency.evidence.length ? listed(urgency.evidence) : ': no urgency cues'}`,
        `sentiment ${sentiment.score}/10${sentiment.evidence.length ? listed(sentiment.evidence.slice(0, 4).map((e) => e.word)) : ': neutral wording'}`,
        `product ${product.label}${product.evidence.length ? listed(product.evidence) : ': no product named'}`,
        `language ${language.language} (${percent(language.confidence)})`,
      ].join('; ');

      return {
        category: category.label,
        urgency: urgency.urgency,
        suggestedPriority: urgency.suggestedPriority,
        sentiment: sentiment.score,
        product: product.label,
        language: language.language,
        confidence: Math.round(category.confidence * 1000) / 1000,
        reasoning,
        model,
        latencyMs: Math.round(performance.now() - started),
        promptTokens: 0,
        completionTokens: 0,
      };
    },
  };
}

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

function listed(words: readonly string[]): string {
  return words.length ? `: ${words.map((word) => `"${word}"`).join(', ')}` : '';
}
