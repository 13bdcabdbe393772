import { chunkDocument, parseDocument, type Chunk, type Section } from '../../src/knowledge';

/** Deterministic prose: numbered sentences of varying length. */
function sentences(count: number, seed = 1): string {
  return Array.from({ length: count }, (_, i) => {
    const n = (i * 7 + seed) % 5;
    return `Sentence ${seed}.${i} explains step ${i} of the refund process${' in more detail'.repeat(n)}.`;
  }).join(' ');
}

/** The longest start of `next` that is also the end of `previous`. */
function sharedOverlap(previous: string, next: string): string {
  for (let length = Math.min(previous.length, next.length); length > 0; length--) {
    if (previous.endsWith(next.slice(0, length))) return next.slice(0, length);
  }
  return '';
}

describe('chunkDocument', () => {
  const sections: Section[] = [
    { headingPath: ['Guide', 'Refunds'], paragraphs: [sentences(30, 1), 'A short closing paragraph.'] },
    { headingPath: ['Guide', 'Invoices'], paragraphs: ['Invoices are monthly.', 'They are emailed.'] },
  ];

  test('small sections become one chunk each, prefixed with their heading path', () => {
    const chunks = chunkDocument(sections.slice(1));
    expect(chunks).toEqual([
      {
        index: 0,
        headingPath: ['Guide', 'Invoices'],
        body: 'Invoices are monthly.\n\nThey are emailed.',
        text: 'Guide > Invoices\n\nInvoices are monthly.\n\nThey are emailed.',
      },
    ]);
  });

  test('no chunk exceeds maxChars, and chunks never span two sections', () => {
    for (const maxChars of [200, 500, 1200]) {
      const chunks = chunkDocument(sections, { maxChars, overlapChars: 60 });
      expect(chunks.length).toBeGreaterThan(1);
      for (const chunk of chunks) {
        expect(chunk.text.length).toBeLessThanOrEqual(maxChars);
        expect(chunk.text.startsWith(`${chunk.headingPath.join(' > ')}\n\n`)).toBe(true);
      }
      expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i));
      const invoices = chunks.filter((c) => c.headingPath[1] === 'Invoices');
      expect(invoices.map((c) => c.body)).toEqual(['Invoices are monthly.\n\nThey are emailed.']);
    }
  });

  test('a long paragraph is split at sentence boundaries', () => {
    const chunks = chunkDocument(sections.slice(0, 1), { maxChars: 300, overlapChars: 0 });
    for (const chunk of chunks) {
      expect(chunk.body).toMatch(/^Sentence \d+\.\d+ |^A short closing paragraph\./);
      expect(chunk.body).toMatch(/\.$/);
    }
    // Nothing lost, nothing repeated without overlap.
    const all = chunks
      .map((c) => c.body)
      .join(' ')
      .replace(/\s+/g, ' ');
    expect(all).toBe(`${sentences(30, 1)} A short closing paragraph.`);
  });

  test('consecutive chunks of a section overlap by at most overlapChars, starting at a sentence or word', () => {
    const chunks = chunkDocument(sections.slice(0, 1), { maxChars: 400, overlapChars: 120 });
    expect(chunks.length).toBeGreaterThan(2);
    for (let i = 1; i < chunks.length; i++) {
      const overlap = sharedOverlap(chunks[i - 1]!.body, chunks[i]!.body);
      expect(overlap.length).toBeGreaterThan(0);
      expect(overlap.length).toBeLessThanOrEqual(120);
      expect(chunks[i - 1]!.body.at(-overlap.length - 1)).toMatch(/\s/);
    }
  });

  test('no overlap across sections', () => {
    const chunks = chunkDocument(sections, { maxChars: 300, overlapChars: 100 });
    const firstInvoice = chunks.findIndex((c) => c.headingPath[1] === 'Invoices');
    expect(chunks[firstInvoice]!.body.startsWith('Invoices are monthly.')).toBe(true);
  });

  test('words longer than a chunk are cut rather than overflowing', () => {
    const chunks = chunkDocument([{ headingPath: [], paragraphs: [`start ${'x'.repeat(250)} end`] }], {
      maxChars: 100,
      overlapChars: 0,
    });
    expect(chunks.every((c: Chunk) => c.text.length <= 100)).toBe(true);
    expect(
      chunks
        .map((c) => c.body)
        .join('')
        .replace(/\s+/g, ''),
    ).toBe(`start${'x'.repeat(250)}end`);
  });

  test('a very deep heading path takes at most a quarter of the chunk', () => {
    const path = Array.from({ length: 30 }, (_, i) => `Heading number ${i}`);
    const [chunk] = chunkDocument([{ headingPath: path, paragraphs: ['Body.'] }], { maxChars: 200 });
    expect(chunk!.text.indexOf('\n\n')).toBeLessThanOrEqual(50);
    expect(chunk!.text.endsWith('Body.')).toBe(true);
    expect(chunk!.headingPath).toEqual(path);
  });

  test('deterministic: same input, same chunks', () => {
    const markdown = `# Guide\n\n## Refunds\n\n${sentences(40, 3)}\n\n## Invoices\n\n${sentences(12, 4)}\n`;
    const once = chunkDocument(parseDocument({ content: markdown, format: 'markdown' }).sections, {
      maxChars: 500,
    });
    const twice = chunkDocument(parseDocument({ content: markdown, format: 'markdown' }).sections, {
      maxChars: 500,
    });
    expect(twice).toEqual(once);
  });

  test('defaults: 1200 characters, and bad options are refused', () => {
    const chunks = chunkDocument([{ headingPath: ['H'], paragraphs: [sentences(80, 2)] }]);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeLessThanOrEqual(1200);
    expect(Math.max(...chunks.map((c) => c.text.length))).toBeGreaterThan(1000);
    expect(() => chunkDocument([], { maxChars: 10 })).toThrow(RangeError);
    expect(() => chunkDocument([], { overlapChars: -1 })).toThrow(RangeError);
    expect(chunkDocument([])).toEqual([]);
  });
});
