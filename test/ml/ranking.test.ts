import { bm25Idf, byScoreThenId, dot, reciprocalRankFusion, unitVector } from '../../src/ml/ranking';

describe('ranking arithmetic', () => {
  test('BM25 IDF favours rare terms and stays positive for terms in every document', () => {
    expect(bm25Idf(10, 1)).toBeGreaterThan(bm25Idf(10, 5));
    expect(bm25Idf(10, 10)).toBeGreaterThan(0);
    expect(bm25Idf(24, 1)).toBeCloseTo(Math.log(23.5 / 1.5 + 1), 10);
  });

  test('reciprocal rank fusion adds 1 / (k + rank) per ranking', () => {
    const fused = reciprocalRankFusion(
      [
        ['a', 'b'],
        ['b', 'c'],
      ],
      60,
    );
    expect(fused.get('a')).toBeCloseTo(1 / 61, 12);
    expect(fused.get('b')).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused.get('c')).toBeCloseTo(1 / 62, 12);
  });

  test('reciprocal rank fusion sums 1 / (60 + rank) by default; fused hits order by score', () => {
    const fused = [
      ...reciprocalRankFusion([
        ['a', 'b'],
        ['b', 'c'],
      ]),
    ]
      .map(([id, score]) => ({ id, score }))
      .sort(byScoreThenId);
    expect(fused.map((hit) => hit.id)).toEqual(['b', 'a', 'c']);
    expect(fused[0]!.score).toBeCloseTo(1 / 62 + 1 / 61, 12);
    expect(fused[1]!.score).toBeCloseTo(1 / 61, 12);
  });

  test('dot reads a vector out of a packed matrix at an offset; unit vectors have length 1', () => {
    expect(dot([1, 2], [3, 4])).toBe(11);
    expect(dot([1, 2], Float32Array.from([9, 9, 3, 4]), 2)).toBe(11);
    expect(dot(unitVector([3, 4]), unitVector([3, 4]))).toBeCloseTo(1, 12);
    expect(unitVector([0, 0])).toEqual([0, 0]);
  });

  test('equal scores order by id', () => {
    const hits = [
      { id: 'b', score: 1 },
      { id: 'a', score: 1 },
      { id: 'c', score: 2 },
    ].sort(byScoreThenId);
    expect(hits.map((hit) => hit.id)).toEqual(['c', 'a', 'b']);
  });
});
