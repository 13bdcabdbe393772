/**
 * The little dense and sparse linear algebra the LSA embedding needs: sparse × dense products, Gram matrices,
 * a Jacobi eigensolver for small symmetric matrices, and a randomized truncated SVD (Halko, Martinsson and
 * Tropp, 2011) built from them. Dense matrices are row-major Float64Arrays.
 */
import { gaussian, seededRandom } from './random';
import type { SparseRow } from './tfidf';

export interface DenseMatrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/** A sparse matrix as its rows (each with ascending column indices). */
export interface SparseMatrix {
  rows: readonly SparseRow[];
  cols: number;
}

export function denseMatrix(rows: number, cols: number): DenseMatrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** A × M for sparse A (m × n) and dense M (n × l). */
export function sparseTimesDense(a: SparseMatrix, m: DenseMatrix): DenseMatrix {
  const out = denseMatrix(a.rows.length, m.cols);
  const [l, target, source] = [m.cols, out.data, m.data];
  for (let i = 0; i < a.rows.length; i++) {
    const { indices, values } = a.rows[i]!;
    const to = i * l;
    for (let k = 0; k < indices.length; k++) {
      const from = indices[k]! * l;
      const value = values[k]!;
      for (let c = 0; c < l; c++) target[to + c]! += value * source[from + c]!;
    }
  }
  return out;
}

/** Aᵀ × Y for sparse A (m × n) and dense Y (m × l). */
export function sparseTransposeTimesDense(a: SparseMatrix, y: DenseMatrix): DenseMatrix {
  const out = denseMatrix(a.cols, y.cols);
  const [l, target, source] = [y.cols, out.data, y.data];
  for (let i = 0; i < a.rows.length; i++) {
    const { indices, values } = a.rows[i]!;
    const from = i * l;
    for (let k = 0; k < indices.length; k++) {
      const to = indices[k]! * l;
      const value = values[k]!;
      for (let c = 0; c < l; c++) target[to + c]! += value * source[from + c]!;
    }
  }
  return out;
}

/** Yᵀ × Y (l × l). */
export function gram(y: DenseMatrix): DenseMatrix {
  const l = y.cols;
  const out = denseMatrix(l, l);
  for (let r = 0; r < y.rows; r++) {
    const base = r * l;
    for (let i = 0; i < l; i++) {
      const yi = y.data[base + i]!;
      if (yi === 0) continue;
      const target = i * l;
      for (let j = i; j < l; j++) out.data[target + j]! += yi * y.data[base + j]!;
    }
  }
  for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) out.data[i * l + j] = out.data[j * l + i]!;
  return out;
}

/** Y × M for dense Y (r × l) and M (l × c). */
export function multiply(y: DenseMatrix, m: DenseMatrix): DenseMatrix {
  const out = denseMatrix(y.rows, m.cols);
  const c = m.cols;
  for (let r = 0; r < y.rows; r++) {
    const target = r * c;
    for (let k = 0; k < y.cols; k++) {
      const value = y.data[r * y.cols + k]!;
      if (value === 0) continue;
      const source = k * c;
      for (let j = 0; j < c; j++) out.data[target + j]! += value * m.data[source + j]!;
    }
  }
  return out;
}

/**
 * Eigenvalues (descending) and eigenvectors (column j of `vectors` belongs to value j) of a symmetric matrix,
 * by cyclic Jacobi rotations: slow for big matrices but exact enough and fully deterministic for small ones.
 */
export function symmetricEigen(
  matrix: DenseMatrix,
  sweeps = 30,
): { values: Float64Array; vectors: DenseMatrix } {
  const n = matrix.rows;
  const a = Float64Array.from(matrix.data);
  const v = denseMatrix(n, n);
  for (let i = 0; i < n; i++) v.data[i * n + i] = 1;

  for (let sweep = 0; sweep < sweeps; sweep++) {
    let offDiagonal = 0;
    let diagonal = 0;
    for (let i = 0; i < n; i++) {
      diagonal += a[i * n + i]! ** 2;
      for (let j = i + 1; j < n; j++) offDiagonal += a[i * n + j]! ** 2;
    }
    if (offDiagonal <= 1e-22 * diagonal) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * n + q]! - a[p * n + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cos = 1 / Math.sqrt(t * t + 1);
        const sin = t * cos;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p]!;
          const akq = a[k * n + q]!;
          a[k * n + p] = cos * akp - sin * akq;
          a[k * n + q] = sin * akp + cos * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k]!;
          const aqk = a[q * n + k]!;
          a[p * n + k] = cos * apk - sin * aqk;
          a[q * n + k] = sin * apk + cos * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v.data[k * n + p]!;
          const vkq = v.data[k * n + q]!;
          v.data[k * n + p] = cos * vkp - sin * vkq;
          v.data[k * n + q] = sin * vkp + cos * vkq;
        }
      }
    }
  }

  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => a[y * n + y]! - a[x * n + x]! || x - y);
  const values = Float64Array.from(order, (i) => a[i * n + i]!);
  const vectors = denseMatrix(n, n);
  for (let row = 0; row < n; row++) {
    order.forEach((source, column) => (vectors.data[row * n + column] = v.data[row * n + source]!));
  }
  return { values, vectors };
}

/**
 * An orthonormal basis of Y's column space by Cholesky QR, done twice (CholeskyQR2): cheap for tall matrices
 * and, with a tiny diagonal shift, safe when Y is rank-deficient (those directions come out as zero columns).
 */
export function orthonormalizeColumns(y: DenseMatrix): DenseMatrix {
  return choleskyQr(choleskyQr(y));
}

function choleskyQr(y: DenseMatrix): DenseMatrix {
  const l = y.cols;
  const g = gram(y);
  let trace = 0;
  for (let i = 0; i < l; i++) trace += g.data[i * l + i]!;
  const shift = Math.max(trace, 1e-300) * 1e-13;
  // Cholesky G + shift·I = Rᵀ R, R upper triangular (stored in g's upper triangle).
  for (let i = 0; i < l; i++) {
    for (let j = i; j < l; j++) {
      let sum = g.data[i * l + j]! + (i === j ? shift : 0);
      for (let k = 0; k < i; k++) sum -= g.data[k * l + i]! * g.data[k * l + j]!;
      g.data[i * l + j] = i === j ? Math.sqrt(Math.max(sum, shift)) : sum / g.data[i * l + i]!;
    }
  }
  // Q = Y R⁻¹, row by row (forward substitution: q R = y), reading Rᵀ so the inner loop runs along memory.
  const rt = transpose(g).data;
  const q = denseMatrix(y.rows, l);
  const [qd, yd] = [q.data, y.data];
  for (let r = 0; r < y.rows; r++) {
    const base = r * l;
    for (let j = 0; j < l; j++) {
      let sum = yd[base + j]!;
      const column = j * l;
      for (let k = 0; k < j; k++) sum -= qd[base + k]! * rt[column + k]!;
      qd[base + j] = sum / rt[column + j]!;
    }
  }
  return q;
}

export interface TruncatedSvd {
  /** Right singular vectors: n × k, column j for singular value j. */
  v: DenseMatrix;
  singularValues: Float64Array;
}

/**
 * The top-k singular values and right singular vectors of sparse A (m × n) (Halko et al.'s randomized range
 * finder, applied to AᵀA so every dense matrix is n × l: the vocabulary is far smaller than the corpus).
 * A Gaussian sketch, power iterations (each re-orthonormalised), then the exact eigendecomposition of the
 * small projected matrix Qᵀ AᵀA Q = W Σ² Wᵀ, giving V = Q W.
 */
export function randomizedSvd(
  a: SparseMatrix,
  k: number,
  options: { oversampling: number; powerIterations: number; seed: number },
): TruncatedSvd {
  const l = Math.min(k + options.oversampling, a.cols, a.rows.length);
  const normal = gaussian(seededRandom(options.seed));
  const omega = denseMatrix(a.cols, l);
  for (let i = 0; i < omega.data.length; i++) omega.data[i] = normal();
  const timesGram = (m: DenseMatrix) => sparseTransposeTimesDense(a, sparseTimesDense(a, m));

  let q = orthonormalizeColumns(timesGram(omega));
  for (let iteration = 0; iteration < options.powerIterations; iteration++)
    q = orthonormalizeColumns(timesGram(q));

  const projected = multiply(transpose(q), timesGram(q));
  const { values, vectors } = symmetricEigen(projected);
  const rank = Math.min(k, l);
  const w = denseMatrix(l, rank);
  for (let i = 0; i < l; i++) for (let j = 0; j < rank; j++) w.data[i * rank + j] = vectors.data[i * l + j]!;
  return {
    v: multiply(q, w),
    singularValues: Float64Array.from({ length: rank }, (_, j) => Math.sqrt(Math.max(values[j]!, 0))),
  };
}

export function transpose(m: DenseMatrix): DenseMatrix {
  const out = denseMatrix(m.cols, m.rows);
  for (let r = 0; r < m.rows; r++)
    for (let c = 0; c < m.cols; c++) out.data[c * m.rows + r] = m.data[r * m.cols + c]!;
  return out;
}
