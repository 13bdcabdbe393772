/** Evaluation measures for the classifiers and the retrieval, shared by the eval script and the tests. */

export function accuracy(expected: readonly string[], predicted: readonly string[]): number {
  if (expected.length === 0) return 0;
  return expected.filter((label, i) => label === predicted[i]).length / expected.length;
}

/** The unweighted mean of each label's F1, so rare labels count as much as common ones. */
export function macroF1(expected: readonly string[], predicted: readonly string[]): number {
  const labels = [...new Set(expected)];
  if (labels.length === 0) return 0;
  const f1s = labels.map((label) => {
    let truePositives = 0;
    let falsePositives = 0;
    let falseNegatives = 0;
    expected.forEach((truth, i) => {
      const guess = predicted[i];
      if (guess === label && truth === label) truePositives++;
      else if (guess === label) falsePositives++;
      else if (truth === label) falseNegatives++;
    });
    const denominator = 2 * truePositives + falsePositives + falseNegatives;
    return denominator === 0 ? 0 : (2 * truePositives) / denominator;
  });
  return f1s.reduce((sum, f1) => sum + f1, 0) / f1s.length;
}

/**
 * Expected calibration error: predictions binned by confidence (equal-width bins), the gap between each bin's
 * mean confidence and its accuracy, weighted by the bin's size. 0 is perfectly calibrated.
 */
export function expectedCalibrationError(
  confidences: readonly number[],
  correct: readonly boolean[],
  bins = 15,
): number {
  if (confidences.length === 0) return 0;
  const count = new Array<number>(bins).fill(0);
  const confidenceSum = new Array<number>(bins).fill(0);
  const correctSum = new Array<number>(bins).fill(0);
  confidences.forEach((confidence, i) => {
    const bin = Math.min(bins - 1, Math.floor(confidence * bins));
    count[bin]! += 1;
    confidenceSum[bin]! += confidence;
    correctSum[bin]! += correct[i] ? 1 : 0;
  });
  let error = 0;
  for (let bin = 0; bin < bins; bin++) {
    if (count[bin] === 0) continue;
    error += Math.abs(confidenceSum[bin]! - correctSum[bin]!) / confidences.length;
  }
  return error;
}

/** A query's relevant document, or its several relevant documents (any of them counts as found). */
export type Relevant = string | readonly string[];

function isRelevant(relevant: Relevant, id: string): boolean {
  return typeof relevant === 'string' ? relevant === id : relevant.includes(id);
}

/** Share of queries with a relevant document among the first k results. */
export function recallAtK(
  rankings: readonly (readonly string[])[],
  relevant: readonly Relevant[],
  k: number,
): number {
  if (rankings.length === 0) return 0;
  return (
    rankings.filter((ranking, i) => ranking.slice(0, k).some((id) => isRelevant(relevant[i]!, id))).length /
    rankings.length
  );
}

/** Mean reciprocal rank of the first relevant document (0 when none is retrieved). */
export function meanReciprocalRank(
  rankings: readonly (readonly string[])[],
  relevant: readonly Relevant[],
): number {
  if (rankings.length === 0) return 0;
  const sum = rankings.reduce((total, ranking, i) => {
    const rank = ranking.findIndex((id) => isRelevant(relevant[i]!, id));
    return total + (rank < 0 ? 0 : 1 / (rank + 1));
  }, 0);
  return sum / rankings.length;
}

/** The q-quantile (0..1) by nearest rank. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}
