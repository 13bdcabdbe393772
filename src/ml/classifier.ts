/**
 * Text classifiers.
 *
 * `trainTextClassifier`: TF-IDF over hashed word 1–2-grams and character 3–5-grams, multinomial logistic
 * regression trained by Adagrad with L2 in a seeded order (same data and options → identical weights), then
 * temperature scaling fitted on a held-out slice so the confidence means what it says.
 *
 * `fewShotClassifier`: for short lists a tenant defines (a name, maybe a description and a few examples), a
 * nearest-centroid model over the same features, with a fallback label when nothing is similar enough.
 */
import { expectedCalibrationError } from './metrics';
import { decodeFloat32, encodeArray } from './model-cache';
import { seededRandom, shuffled, stratifiedSplit } from './random';
import {
  type SparseRow,
  type TfidfJson,
  type TfidfModel,
  type TfidfOptions,
  fitTfidf,
  sparseDot,
  tfidfFromJSON,
  tfidfToJSON,
  vectorize,
} from './tfidf';
import { DEFAULT_FEATURE_OPTIONS, ENGLISH_STOPWORDS, findPhrase, tokenize } from './text';

export interface TrainingExample {
  text: string;
  label: string;
}

export interface LabelScore {
  label: string;
  probability: number;
}

export interface Prediction {
  label: string;
  /** Calibrated probability of `label`, 0..1. */
  confidence: number;
  /** Every label's probability, highest first. */
  scores: LabelScore[];
  /** The words and phrases of the text that pushed most towards `label`. */
  evidence: string[];
}

export interface TextModel {
  readonly labels: readonly string[];
  predict(text: string): Prediction;
}

export interface TrainOptions {
  /** Most passes over the data; the regularisation search keeps the pass count that did best on validation. */
  epochs: number;
  /** Fewest passes the search considers. */
  minEpochs: number;
  learningRate: number;
  /** L2 penalty per update on the weights a text touches, when there is no validation slice to search on. */
  l2: number;
  /**
   * L2 strengths the regularisation search tries, per view: each trains on the training part, the validation
   * slice scores every pass (log-loss after temperature scaling), and the best strength and pass count win.
   * Empty: `l2` and `epochs` as given.
   */
  l2Candidates: readonly number[];
  seed: number;
  /**
   * Share of each label held out of training: the validation slice of the regularisation search and of the
   * temperatures (0: no search, temperature 1).
   */
  calibrationFraction: number;
  /**
   * For a handful of examples, where holding a slice out would cost too much: train on everything and fit the
   * temperature on out-of-fold predictions of this many fold models instead (≥ 2 turns it on; no L2 search).
   */
  calibrationFolds: number;
  /**
   * Feature views: one logistic regression each, their calibrated probabilities averaged (an ensemble of
   * views that err differently beats one model over all the features). One view is a single model.
   */
  views: readonly TfidfOptions[];
  /**
   * After the search: train each member again on the training part and the validation slice together, with
   * the L2 strength and pass count the search chose, keeping the temperatures and member weights fitted on the
   * validation slice (the slice is a tenth of the data: the final model should learn from it too).
   */
  refit: boolean;
}

/** Stemmed word 1–2-grams: what the text says. */
export const WORD_VIEW: TfidfOptions = {
  features: { ...DEFAULT_FEATURE_OPTIONS, wordNgramMax: 2, charNgramMax: 0, stem: true },
  minDf: 1,
  sublinearTf: true,
};

/**
 * Character 2–5-grams inside word boundaries: spelling variants, typos, inflections, compounds. Rows keep the
 * norm √½ the character block has in a combined model (norm 1 did worse on the BANKING77 validation split).
 */
export const CHAR_VIEW: TfidfOptions = {
  features: { ...DEFAULT_FEATURE_OPTIONS, wordNgramMax: 0, charNgramMin: 2, charNgramMax: 5 },
  minDf: 2,
  sublinearTf: true,
  charShare: 0.5,
};

/** The former single model: word 1–2-grams and character 3–5-grams in one feature space. */
export const COMBINED_VIEW: TfidfOptions = { features: DEFAULT_FEATURE_OPTIONS, minDf: 2, sublinearTf: true };

/**
 * Stemmed word 1–2-grams and character 2–5-grams in one feature space: one model that weighs words against
 * character fragments itself, erring differently from the two single-view members (third member; on the
 * BANKING77 validation slice it alone has the lowest log-loss of the three).
 */
export const JOINT_VIEW: TfidfOptions = {
  features: { ...DEFAULT_FEATURE_OPTIONS, wordNgramMax: 2, charNgramMin: 2, charNgramMax: 5, stem: true },
  minDf: 2,
  sublinearTf: true,
};

export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  epochs: 8,
  minEpochs: 3,
  learningRate: 0.3,
  l2: 1e-4,
  l2Candidates: [1e-4, 3e-4],
  seed: 1,
  calibrationFraction: 0.1,
  calibrationFolds: 0,
  views: [WORD_VIEW, CHAR_VIEW, JOINT_VIEW],
  refit: true,
};

export interface Calibration {
  /** The ensemble's temperature, applied to the log of the members' averaged calibrated probabilities. */
  temperature: number;
  /** Held-out examples the temperatures (and the regularisation search) were fitted on. */
  heldOut: number;
  /** Expected calibration error on that slice with every temperature 1, and with the fitted ones. */
  eceBefore: number;
  eceAfter: number;
}

/** What the regularisation search chose for one member, and why. */
export interface MemberSummary {
  /** Which features the member sees ("words 1–2", "chars 2–5", …). */
  view: string;
  l2: number;
  epochs: number;
  /** This member's own temperature, fitted on the validation slice. */
  temperature: number;
  /** Mean validation log-loss (after the temperature) of the chosen setting; null without a validation slice. */
  validationLogLoss: number | null;
  /** The best validation log-loss reached by each L2 candidate (same order as `l2Candidates`). */
  candidates: Array<{ l2: number; epochs: number; logLoss: number }>;
  /** Share of this member in the ensemble's average (chosen on the validation slice; absent: equal shares). */
  weight?: number;
  /** Trained again on the training part plus the validation slice after the search. */
  refitted?: boolean;
}

export interface TextClassifier extends TextModel {
  readonly calibration: Calibration;
  readonly members: readonly MemberSummary[];
  /** Scores before the ensemble temperature and softmax, in `labels` order (the log of the averaged probabilities). */
  logits(text: string): Float64Array;
  /** Every label's probability in `labels` order; `calibrated: false` sets every temperature to 1. */
  probabilities(text: string, calibrated?: boolean): Float64Array;
  toJSON(): TextClassifierJson;
}

interface MemberJson {
  tfidf: TfidfJson;
  /** Float32, column-major by feature: weights[feature * labels + label]. */
  weights: string;
  bias: number[];
  summary: MemberSummary;
}

export type TextClassifierJson =
  | {
      kind: 'tfidf-logreg';
      version: 2;
      labels: string[];
      members: MemberJson[];
      calibration: Calibration;
    }
  | {
      kind: 'tfidf-logreg';
      version: 1;
      labels: string[];
      tfidf: TfidfJson;
      weights: string;
      bias: number[];
      calibration: Calibration;
    };

interface Member {
  tfidf: TfidfModel;
  weights: Float32Array;
  bias: Float64Array;
  summary: MemberSummary;
}

export function describeView(view: TfidfOptions): string {
  const { wordNgramMax, charNgramMin, charNgramMax, stem } = view.features;
  const parts = [
    wordNgramMax > 0 ? `${stem ? 'stemmed ' : ''}words 1–${wordNgramMax}` : '',
    charNgramMax > 0 ? `chars ${charNgramMin}–${charNgramMax}` : '',
  ];
  return parts.filter(Boolean).join(' + ');
}

export function trainTextClassifier(
  examples: readonly TrainingExample[],
  options: Partial<TrainOptions> = {},
): TextClassifier {
  const settings = { ...DEFAULT_TRAIN_OPTIONS, ...options };
  const labels = [...new Set(examples.map((example) => example.label))].sort();
  if (labels.length < 2) throw new Error('a classifier needs examples of at least two labels');
  if (settings.views.length === 0) throw new Error('a classifier needs at least one feature view');

  if (settings.calibrationFolds >= 2) return trainCrossCalibrated(examples, labels, settings);

  const { train, test: heldOut } =
    settings.calibrationFraction > 0
      ? stratifiedSplit(examples, (example) => example.label, settings.calibrationFraction, settings.seed)
      : { train: [...examples], test: [] };
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const heldOutLabels = heldOut.map((example) => labelIndex.get(example.label)!);
  const searched = settings.views.map((view) =>
    trainMember(train, heldOut, heldOutLabels, labelIndex, labels.length, view, settings),
  );
  const members =
    heldOut.length > 0 ? withValidationWeights(labels, searched, heldOut, heldOutLabels) : searched;

  const uncalibrated = new LogisticModel(labels, members, neutralCalibration(heldOut.length));
  const fitted = fitTemperature(
    heldOut.map((example) => uncalibrated.logits(example.text)),
    heldOutLabels,
  );
  // Before: every temperature 1 (members and ensemble); after: the fitted ones.
  const raw = heldOut.map((example) => uncalibrated.probabilities(example.text, false));
  const calibration = {
    temperature: fitted.temperature,
    heldOut: heldOut.length,
    eceBefore: heldOut.length ? eceOf(raw, heldOutLabels) : 0,
    eceAfter: fitted.eceAfter,
  };
  if (!settings.refit || heldOut.length === 0) return new LogisticModel(labels, members, calibration);
  const refitted = members.map((member, i) => {
    // A member the weights left out is not trained again (nor used).
    if (member.summary.weight === 0) return member;
    const chosen = { ...settings, l2: member.summary.l2, epochs: member.summary.epochs, l2Candidates: [] };
    const again = trainMember(examples, [], [], labelIndex, labels.length, settings.views[i]!, chosen);
    return { ...again, summary: { ...member.summary, refitted: true } };
  });
  return new LogisticModel(labels, refitted, calibration);
}

/** Candidate shares of the ensemble's average: a grid of step 0.1 over the simplex (equal shares past 4 members). */
function weightGrid(members: number): number[][] {
  if (members > 4) return [new Array<number>(members).fill(1 / members)];
  const grid: number[][] = [];
  const extend = (prefix: number[], left: number) => {
    if (prefix.length === members - 1) {
      grid.push([...prefix, left / 10]);
      return;
    }
    for (let tenths = left; tenths >= 0; tenths--) extend([...prefix, tenths / 10], left - tenths);
  };
  extend([], 10);
  return grid;
}

/**
 * Each member's share of the ensemble, from the validation log-loss of the average of the members' calibrated
 * probabilities at its own best ensemble temperature (so shares are not judged by how confident their average
 * is, which the temperature sets anyway): of the shares within one standard error (paired, per example) of the
 * best, the ones nearest equal shares — a small or easy slice would otherwise hand the ensemble to whichever
 * member was luckiest on it. One member: all of it.
 */
function withValidationWeights(
  labels: readonly string[],
  members: readonly Member[],
  heldOut: readonly TrainingExample[],
  heldOutLabels: readonly number[],
): Member[] {
  if (members.length === 1) return [{ ...members[0]!, summary: { ...members[0]!.summary, weight: 1 } }];
  const own = members.map((member) => {
    const alone = new LogisticModel(labels, [member], neutralCalibration(0));
    // The member's probability of the right label, and of every label, per held-out example.
    return heldOut.map((example) => alone.logits(example.text).map((logit) => Math.exp(logit)));
  });
  const candidates = weightGrid(members.length).map((weights) => {
    const logits = heldOutLabels.map((_, i) => {
      const row = new Float64Array(labels.length);
      for (let m = 0; m < members.length; m++) {
        const share = weights[m]!;
        if (share === 0) continue;
        const probabilities = own[m]![i]!;
        for (let c = 0; c < row.length; c++) row[c]! += share * probabilities[c]!;
      }
      return row.map((p) => Math.log(Math.max(p, 1e-300)));
    });
    const { temperature } = temperatureFit(logits, heldOutLabels);
    const losses = logits.map((row, i) => {
      softmaxInPlace(row, temperature);
      return -Math.log(Math.max(row[heldOutLabels[i]!]!, 1e-12));
    });
    return { weights, losses, logLoss: losses.reduce((sum, loss) => sum + loss, 0) / losses.length };
  });
  const best = candidates.reduce((a, b) => (b.logLoss < a.logLoss - 1e-12 ? b : a));
  const n = heldOutLabels.length;
  const withinOneStandardError = candidates.filter((candidate) => {
    const differences = candidate.losses.map((loss, i) => loss - best.losses[i]!);
    const mean = differences.reduce((sum, d) => sum + d, 0) / n;
    const variance = differences.reduce((sum, d) => sum + (d - mean) ** 2, 0) / Math.max(1, n - 1);
    return mean <= Math.sqrt(variance / n);
  });
  const equal = 1 / members.length;
  const distance = (weights: number[]) => weights.reduce((sum, w) => sum + (w - equal) ** 2, 0);
  const chosen = withinOneStandardError.reduce((a, b) =>
    distance(b.weights) < distance(a.weights) - 1e-12 ||
    (Math.abs(distance(b.weights) - distance(a.weights)) <= 1e-12 && b.logLoss < a.logLoss)
      ? b
      : a,
  );
  return members.map((member, m) => ({
    ...member,
    summary: { ...member.summary, weight: chosen.weights[m]! },
  }));
}

/**
 * Everything trains the model; the temperature comes from fold models' predictions on the examples they did not
 * see (each label's examples dealt round-robin to the folds after a seeded shuffle).
 */
function trainCrossCalibrated(
  examples: readonly TrainingExample[],
  labels: readonly string[],
  settings: TrainOptions,
): TextClassifier {
  const plain = { ...settings, calibrationFraction: 0, calibrationFolds: 0, l2Candidates: [] };
  const labelIndex = new Map(labels.map((label, index) => [label, index]));
  const full = trainTextClassifier(examples, plain) as LogisticModel;
  const folds = crossValidationFolds(examples, settings.calibrationFolds, settings.seed);
  const outOfFold: Float64Array[] = [];
  const outOfFoldLabels: number[] = [];
  const raw: Float64Array[] = [];
  for (let fold = 0; fold < settings.calibrationFolds; fold++) {
    const trainPart = examples.filter((_, i) => folds[i] !== fold);
    const testPart = examples.filter((_, i) => folds[i] === fold);
    // A fold model needs two labels; it scores only the labels it knows, the others get nothing.
    const known = new Set(trainPart.map((example) => example.label));
    if (known.size < 2 || testPart.length === 0) continue;
    const model = trainTextClassifier(trainPart, plain);
    for (const example of testPart) {
      const probabilities = new Float64Array(labels.length);
      const own = model.probabilities(example.text, false);
      model.labels.forEach((label, i) => (probabilities[labelIndex.get(label)!] = own[i]!));
      raw.push(probabilities);
      outOfFold.push(probabilities.map((p) => Math.log(Math.max(p, 1e-300))));
      outOfFoldLabels.push(labelIndex.get(example.label)!);
    }
  }
  const fitted = fitTemperature(outOfFold, outOfFoldLabels);
  return full.withCalibration({
    temperature: fitted.temperature,
    heldOut: outOfFold.length,
    eceBefore: outOfFold.length ? eceOf(raw, outOfFoldLabels) : 0,
    eceAfter: fitted.eceAfter,
  });
}

/** Fold of each example: per label, a seeded shuffle dealt round-robin (so every fold sees most labels). */
function crossValidationFolds(examples: readonly TrainingExample[], folds: number, seed: number): number[] {
  const random = seededRandom(seed);
  const byLabel = new Map<string, number[]>();
  examples.forEach((example, i) => byLabel.set(example.label, [...(byLabel.get(example.label) ?? []), i]));
  const fold = new Array<number>(examples.length).fill(0);
  let next = 0;
  for (const label of [...byLabel.keys()].sort()) {
    for (const i of shuffled(byLabel.get(label)!, random)) fold[i] = next++ % folds;
  }
  return fold;
}

function eceOf(probabilities: readonly Float64Array[], labels: readonly number[]): number {
  const best = probabilities.map((row) => argmax(row));
  return expectedCalibrationError(
    probabilities.map((row, i) => row[best[i]!]!),
    best.map((label, i) => label === labels[i]),
  );
}

/**
 * One member: TF-IDF of its view on the training part, then, for each L2 candidate, Adagrad passes scored on
 * the validation slice after each pass (log-loss at the best temperature, so an over- or under-confident but
 * accurate model is not penalised for what temperature scaling fixes); the best snapshot is kept.
 */
function trainMember(
  train: readonly TrainingExample[],
  heldOut: readonly TrainingExample[],
  heldOutLabels: readonly number[],
  labelIndex: ReadonlyMap<string, number>,
  labelCount: number,
  view: TfidfOptions,
  settings: TrainOptions,
): Member {
  const tfidf = fitTfidf(
    train.map((example) => example.text),
    view,
  );
  const rows = train.map((example) => ({
    row: vectorize(tfidf, example.text).row,
    label: labelIndex.get(example.label)!,
  }));
  const validation = heldOut.map((example) => vectorize(tfidf, example.text).row);
  const featureCount = tfidf.terms.length;
  const search = validation.length > 0 && settings.l2Candidates.length > 0;
  const candidates = search ? settings.l2Candidates : [settings.l2];

  let best:
    | { weights: Float32Array; bias: Float64Array; l2: number; epochs: number; fit: TemperatureFit }
    | undefined;
  const tried: MemberSummary['candidates'] = [];
  for (const l2 of candidates) {
    let candidateBest: { epochs: number; logLoss: number } | undefined;
    let sinceImprovement = 0;
    fitSoftmaxRegression(rows, featureCount, labelCount, { ...settings, l2 }, (epoch, weights, bias) => {
      if (!search) {
        if (epoch === settings.epochs)
          best = { weights, bias, l2, epochs: epoch, fit: temperatureFit([], []) };
        return true;
      }
      if (epoch < Math.min(settings.minEpochs, settings.epochs)) return true;
      const logits = validation.map((row) => {
        const out = new Float64Array(labelCount);
        computeLogits(row, weights, bias, labelCount, out);
        return out;
      });
      const fit = temperatureFit(logits, heldOutLabels);
      if (!candidateBest || fit.logLoss < candidateBest.logLoss) {
        candidateBest = { epochs: epoch, logLoss: fit.logLoss };
        sinceImprovement = 0;
      } else sinceImprovement++;
      if (!best || fit.logLoss < best.fit.logLoss) {
        best = { weights: weights.slice(), bias: bias.slice(), l2, epochs: epoch, fit };
      }
      // Two passes without improvement: more passes only overfit.
      return sinceImprovement < 2;
    });
    if (candidateBest)
      tried.push({ l2, epochs: candidateBest.epochs, logLoss: round4(candidateBest.logLoss) });
  }
  const chosen = best!;
  return {
    tfidf,
    weights: chosen.weights,
    bias: chosen.bias,
    summary: {
      view: describeView(view),
      l2: chosen.l2,
      epochs: chosen.epochs,
      temperature: search ? chosen.fit.temperature : 1,
      validationLogLoss: search ? round4(chosen.fit.logLoss) : null,
      candidates: tried,
    },
  };
}

function round4(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

export function textClassifierFromJSON(json: TextClassifierJson): TextClassifier {
  if (json.kind !== 'tfidf-logreg' || (json.version !== 1 && json.version !== 2)) {
    throw new Error('not a tfidf-logreg v1/v2 model');
  }
  if (json.version === 1) {
    // One model, its temperature on its logits: the same as one member at temperature 1 under that temperature.
    const tfidf = tfidfFromJSON(json.tfidf);
    const member: Member = {
      tfidf,
      weights: decodeFloat32(json.weights),
      bias: Float64Array.from(json.bias),
      summary: {
        view: describeView(tfidf.options),
        l2: 0,
        epochs: 0,
        temperature: 1,
        validationLogLoss: null,
        candidates: [],
      },
    };
    return new LogisticModel(json.labels, [member], json.calibration);
  }
  const members = json.members.map((member) => ({
    tfidf: tfidfFromJSON(member.tfidf),
    weights: decodeFloat32(member.weights),
    bias: Float64Array.from(member.bias),
    summary: member.summary,
  }));
  return new LogisticModel(json.labels, members, json.calibration);
}

function neutralCalibration(heldOut: number): Calibration {
  return { temperature: 1, heldOut, eceBefore: 0, eceAfter: 0 };
}

const NEGLIGIBLE_ERROR = 1e-3;

/**
 * Adagrad on the softmax cross-entropy, one example at a time, in a seeded shuffled order per epoch. After
 * each epoch `afterEpoch` sees the current weights (live arrays: copy to keep) and returns false to stop.
 */
function fitSoftmaxRegression(
  rows: ReadonlyArray<{ row: SparseRow; label: number }>,
  featureCount: number,
  labelCount: number,
  settings: TrainOptions,
  afterEpoch: (epoch: number, weights: Float32Array, bias: Float64Array) => boolean,
): void {
  const weights = new Float32Array(featureCount * labelCount);
  const squaredGradients = new Float32Array(featureCount * labelCount);
  const bias = new Float64Array(labelCount);
  const biasSquaredGradients = new Float64Array(labelCount);
  const logits = new Float64Array(labelCount);
  const errors = new Float64Array(labelCount);
  const active = new Int32Array(labelCount);
  const random = seededRandom(settings.seed);
  const epsilon = 1e-8;

  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    for (const { row, label } of shuffled(rows, random)) {
      computeLogits(row, weights, bias, labelCount, logits);
      softmaxInPlace(logits, 1);
      // Labels the model already rules out have near-zero error: skipping their updates makes an epoch over
      // many labels several times cheaper, with no measurable loss of accuracy (BANKING77 in the eval).
      let activeCount = 0;
      for (let c = 0; c < labelCount; c++) {
        errors[c] = logits[c]! - (c === label ? 1 : 0);
        if (Math.abs(errors[c]!) > NEGLIGIBLE_ERROR) active[activeCount++] = c;
      }

      for (let k = 0; k < row.indices.length; k++) {
        const base = row.indices[k]! * labelCount;
        const x = row.values[k]!;
        for (let a = 0; a < activeCount; a++) {
          const c = active[a]!;
          const at = base + c;
          const gradient = errors[c]! * x + settings.l2 * weights[at]!;
          squaredGradients[at]! += gradient * gradient;
          weights[at]! -= (settings.learningRate * gradient) / (Math.sqrt(squaredGradients[at]!) + epsilon);
        }
      }
      for (let c = 0; c < labelCount; c++) {
        biasSquaredGradients[c]! += errors[c]! * errors[c]!;
        bias[c]! -= (settings.learningRate * errors[c]!) / (Math.sqrt(biasSquaredGradients[c]!) + epsilon);
      }
    }
    if (!afterEpoch(epoch + 1, weights, bias)) return;
  }
}

function computeLogits(
  row: SparseRow,
  weights: Float32Array,
  bias: Float64Array,
  labelCount: number,
  out: Float64Array,
): void {
  out.set(bias);
  for (let k = 0; k < row.indices.length; k++) {
    const base = row.indices[k]! * labelCount;
    const x = row.values[k]!;
    for (let c = 0; c < labelCount; c++) out[c]! += x * weights[base + c]!;
  }
}

/** Softmax of logits / temperature, in place, stable against overflow. */
function softmaxInPlace(values: Float64Array, temperature: number): void {
  let max = -Infinity;
  for (const value of values) max = Math.max(max, value);
  let sum = 0;
  for (let i = 0; i < values.length; i++) {
    values[i] = Math.exp((values[i]! - max) / temperature);
    sum += values[i]!;
  }
  for (let i = 0; i < values.length; i++) values[i]! /= sum;
}

const MIN_TEMPERATURE = 0.25;
const MAX_TEMPERATURE = 10;

interface TemperatureFit {
  temperature: number;
  /** Mean negative log-likelihood at that temperature. */
  logLoss: number;
}

/** The temperature that minimises the mean negative log-likelihood (golden-section search on log T). */
function temperatureFit(logits: readonly Float64Array[], labels: readonly number[]): TemperatureFit {
  if (logits.length === 0) return { temperature: 1, logLoss: 0 };
  const scratch = new Float64Array(logits[0]!.length);
  const negativeLogLikelihood = (temperature: number) =>
    logits.reduce((sum, row, i) => {
      scratch.set(row);
      softmaxInPlace(scratch, temperature);
      return sum - Math.log(Math.max(scratch[labels[i]!]!, 1e-12));
    }, 0) / logits.length;

  const ratio = (Math.sqrt(5) - 1) / 2;
  // Bounded: a near-perfect held-out slice would otherwise drive T towards 0 and every answer to 100%.
  let low = Math.log(MIN_TEMPERATURE);
  let high = Math.log(MAX_TEMPERATURE);
  for (let step = 0; step < 30; step++) {
    const left = high - ratio * (high - low);
    const right = low + ratio * (high - low);
    if (negativeLogLikelihood(Math.exp(left)) <= negativeLogLikelihood(Math.exp(right))) high = right;
    else low = left;
  }
  const temperature = Math.exp((low + high) / 2);
  return { temperature, logLoss: negativeLogLikelihood(temperature) };
}

/**
 * The temperature that minimises the held-out negative log-likelihood (golden-section search on log T).
 * Scaling all logits by one number never changes which label wins, only how sure the model claims to be.
 */
export function fitTemperature(logits: readonly Float64Array[], labels: readonly number[]): Calibration {
  if (logits.length === 0) return neutralCalibration(0);
  const { temperature } = temperatureFit(logits, labels);
  const ece = (t: number) =>
    eceOf(
      logits.map((row) => {
        const probabilities = Float64Array.from(row);
        softmaxInPlace(probabilities, t);
        return probabilities;
      }),
      labels,
    );
  return { temperature, heldOut: logits.length, eceBefore: ece(1), eceAfter: ece(temperature) };
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/**
 * The ensemble: each member's softmax at its own temperature, averaged, then the log of the average under the
 * ensemble temperature. With one member this is that member's softmax at (its temperature × the ensemble's).
 */
class LogisticModel implements TextClassifier {
  constructor(
    readonly labels: readonly string[],
    private readonly parts: readonly Member[],
    readonly calibration: Calibration,
  ) {}

  withCalibration(calibration: Calibration): LogisticModel {
    return new LogisticModel(this.labels, this.parts, calibration);
  }

  get members(): readonly MemberSummary[] {
    return this.parts.map((member) => member.summary);
  }

  /** Averaged member probabilities, and each member's row (with names when asked) for explanations. */
  private averaged(text: string, calibrated: boolean, withNames: boolean) {
    const labelCount = this.labels.length;
    const average = new Float64Array(labelCount);
    const scratch = new Float64Array(labelCount);
    const rows = this.parts.map((member) => {
      const share = member.summary.weight ?? 1 / this.parts.length;
      if (share === 0) return undefined;
      const { row, names } = vectorize(member.tfidf, text, withNames);
      computeLogits(row, member.weights, member.bias, labelCount, scratch);
      softmaxInPlace(scratch, calibrated ? member.summary.temperature : 1);
      for (let c = 0; c < labelCount; c++) average[c]! += scratch[c]! * share;
      return { row, names };
    });
    return { average, rows };
  }

  logits(text: string): Float64Array {
    return this.averaged(text, true, false).average.map((p) => Math.log(Math.max(p, 1e-300)));
  }

  probabilities(text: string, calibrated = true): Float64Array {
    const { average } = this.averaged(text, calibrated, false);
    return this.finish(average, calibrated);
  }

  private finish(average: Float64Array, calibrated: boolean): Float64Array {
    const out = average.map((p) => Math.log(Math.max(p, 1e-300)));
    softmaxInPlace(out, calibrated ? this.calibration.temperature : 1);
    return out;
  }

  predict(text: string): Prediction {
    const { average, rows } = this.averaged(text, true, true);
    const probabilities = this.finish(average, true);
    const labelCount = this.labels.length;
    const best = argmax(probabilities);

    // A feature is evidence for the label when its weight there beats its mean weight over all labels.
    const contributions = new Map<string, number>();
    this.parts.forEach((member, m) => {
      if (!rows[m]) return;
      const { row, names } = rows[m];
      for (let k = 0; k < row.indices.length; k++) {
        const base = row.indices[k]! * labelCount;
        let mean = 0;
        for (let c = 0; c < labelCount; c++) mean += member.weights[base + c]! / labelCount;
        const contribution =
          (row.values[k]! * (member.weights[base + best]! - mean)) / member.summary.temperature;
        const name = names!.get(row.indices[k]!);
        if (name !== undefined) contributions.set(name, (contributions.get(name) ?? 0) + contribution);
      }
    });
    return {
      label: this.labels[best]!,
      confidence: probabilities[best]!,
      scores: rankScores(this.labels, probabilities),
      evidence: topEvidence(contributions),
    };
  }

  toJSON(): TextClassifierJson {
    return {
      kind: 'tfidf-logreg',
      version: 2,
      labels: [...this.labels],
      members: this.parts.map((member) => ({
        tfidf: tfidfToJSON(member.tfidf),
        weights: encodeArray(member.weights),
        bias: Array.from(member.bias),
        summary: member.summary,
      })),
      calibration: this.calibration,
    };
  }
}

function rankScores(labels: readonly string[], probabilities: ArrayLike<number>): LabelScore[] {
  return labels
    .map((label, i) => ({ label, probability: probabilities[i]! }))
    .sort((a, b) => b.probability - a.probability || a.label.localeCompare(b.label));
}

/** The strongest positive contributions, skipping function words and words already covered by a phrase. */
function topEvidence(contributions: Map<string, number>, limit = 5): string[] {
  const meaningful = [...contributions.entries()].filter(
    ([name, weight]) =>
      weight > 0 && name.split(' ').some((word) => !ENGLISH_STOPWORDS.has(word) && !/^\d+$/.test(word)),
  );
  meaningful.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const chosen: string[] = [];
  for (const [name] of meaningful) {
    if (chosen.some((other) => other.split(' ').includes(name) || name.split(' ').includes(other))) continue;
    chosen.push(name);
    if (chosen.length === limit) break;
  }
  return chosen;
}

// ---------------------------------------------------------------------------------------------------------
// Few-shot: nearest centroid.

export interface FewShotClass {
  name: string;
  description?: string;
  examples?: readonly string[];
}

export interface FewShotOptions {
  /** Returned when the best cosine similarity is below `minSimilarity` (undefined: always the best class). */
  fallbackLabel?: string;
  minSimilarity: number;
  /** Softmax sharpness over cosine similarities: higher makes the confidence more decisive. */
  sharpness: number;
  /** Ordinary texts of the domain (e.g. past tickets) that only lower the weight of common words. */
  background?: readonly string[];
  /** Added to a class's similarity when the text names it ("our ZTNA client", "a billing question"). */
  nameBonus: number;
}

export const DEFAULT_FEW_SHOT_OPTIONS: FewShotOptions = {
  minSimilarity: 0.08,
  sharpness: 12,
  nameBonus: 0.15,
};

// Words decide; character n-grams only help with typos and inflections ("disconnecting" ~ "connector").
const FEW_SHOT_TFIDF: TfidfOptions = {
  features: { ...DEFAULT_FEATURE_OPTIONS, charNgramMin: 4, dropStopwords: true, stem: true },
  minDf: 1,
  sublinearTf: true,
  charShare: 0.25,
};

export interface FewShotModel extends TextModel {
  /** Similarity of the text to each class (centroid cosine plus the name bonus), in `labels` order. */
  similarities(text: string): number[];
}

/**
 * Each class is the normalised mean of its documents' TF-IDF rows: the name and description together, and
 * each example alone. IDF comes from those same documents, so words shared by every class weigh little.
 */
export function fewShotClassifier(
  classes: readonly FewShotClass[],
  options: Partial<FewShotOptions> = {},
): FewShotModel {
  const settings = { ...DEFAULT_FEW_SHOT_OPTIONS, ...options };
  if (classes.length === 0) throw new Error('a few-shot classifier needs at least one class');
  const documentsOf = (spec: FewShotClass) => [
    `${spec.name.replace(/[_-]+/g, ' ')} ${spec.description ?? ''}`,
    ...(spec.examples ?? []),
  ];
  const tfidf = fitTfidf(classes.flatMap(documentsOf), FEW_SHOT_TFIDF, settings.background);
  const centroids = classes.map((spec) =>
    centroid(documentsOf(spec).map((doc) => vectorize(tfidf, doc).row)),
  );
  const labels = classes.map((spec) => spec.name);
  const nameTokens = classes.map((spec) => tokenize(spec.name.replace(/[_-]+/g, ' ')));

  const scoreAll = (text: string, row: SparseRow) => {
    const tokens = tokenize(text);
    return centroids.map((center, i) => {
      const named = nameTokens[i]!.length > 0 && findPhrase(tokens, nameTokens[i]!) >= 0;
      return sparseDot(row, center) + (named ? settings.nameBonus : 0);
    });
  };
  return {
    labels,
    similarities: (text: string) => scoreAll(text, vectorize(tfidf, text).row),
    predict(text: string): Prediction {
      const { row, names } = vectorize(tfidf, text, true);
      const sims = scoreAll(text, row);
      const best = argmax(sims);
      const probabilities = Float64Array.from(sims, (sim) => sim * settings.sharpness);
      softmaxInPlace(probabilities, 1);
      const scores = rankScores(labels, probabilities);
      const bestSimilarity = sims[best]!;
      if (settings.fallbackLabel !== undefined && bestSimilarity < settings.minSimilarity) {
        // The nearer to zero the similarity, the surer that no class applies.
        const confidence = 0.5 + 0.4 * (1 - bestSimilarity / settings.minSimilarity);
        return { label: settings.fallbackLabel, confidence, scores, evidence: [] };
      }
      return {
        label: labels[best]!,
        confidence: probabilities[best]!,
        scores,
        evidence: sharedTerms(row, names!, centroids[best]!),
      };
    },
  };
}

function centroid(rows: readonly SparseRow[]): SparseRow {
  const sums = new Map<number, number>();
  for (const row of rows) {
    row.indices.forEach((column, k) => sums.set(column, (sums.get(column) ?? 0) + row.values[k]!));
  }
  const entries = [...sums.entries()].sort((a, b) => a[0] - b[0]);
  const norm = Math.sqrt(entries.reduce((sum, [, value]) => sum + value * value, 0)) || 1;
  return {
    indices: Int32Array.from(entries, ([column]) => column),
    values: Float32Array.from(entries, ([, value]) => value / norm),
  };
}

/** The words of the text that weigh most in the matched centroid. */
function sharedTerms(row: SparseRow, names: Map<number, string>, center: SparseRow, limit = 5): string[] {
  const centerWeight = new Map<number, number>();
  center.indices.forEach((column, k) => centerWeight.set(column, center.values[k]!));
  const byName = new Map<string, number>();
  row.indices.forEach((column, k) => {
    const weight = centerWeight.get(column);
    const name = names.get(column);
    if (weight === undefined || name === undefined) return;
    byName.set(name, (byName.get(name) ?? 0) + weight * row.values[k]!);
  });
  return topEvidence(byName, limit);
}

/** Words of a text that are not function words: a cheap check that a text says anything at all. */
export function contentWords(text: string): string[] {
  return tokenize(text).filter((token) => !ENGLISH_STOPWORDS.has(token));
}
