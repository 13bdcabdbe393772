import type { Chunk, Section } from './types';

export interface ChunkOptions {
  /** Upper bound on a chunk's `text` (heading context included). */
  maxChars?: number;
  /** How much of a chunk's end the next chunk of the same section repeats, so no sentence loses its context. */
  overlapChars?: number;
}

interface Piece {
  text: string;
  /** What joins it to the piece before: a paragraph break, a line break, or a space inside a sentence run. */
  joiner: string;
}

const SENTENCE_END = /(?<=[.!?…]["'”’)\]]*)\s+/;

/** Splits what does not fit at word boundaries; a single word longer than the budget is cut. */
function words(text: string, budget: number): string[] {
  const parts: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    for (let start = 0; start < word.length; start += budget) {
      const piece = word.slice(start, start + budget);
      const joined = current ? `${current} ${piece}` : piece;
      if (joined.length <= budget) current = joined;
      else {
        parts.push(current);
        current = piece;
      }
    }
  }
  if (current) parts.push(current);
  return parts;
}

/** A paragraph as pieces no longer than the budget: whole if it fits, else by lines, sentences, then words. */
function pieces(paragraph: string, budget: number): Piece[] {
  if (paragraph.length <= budget) return [{ text: paragraph, joiner: '\n\n' }];
  const result: Piece[] = [];
  paragraph.split('\n').forEach((line, lineIndex) => {
    const lineParts =
      line.length <= budget
        ? [line]
        : line
            .split(SENTENCE_END)
            .flatMap((sentence) => (sentence.length <= budget ? [sentence] : words(sentence, budget)));
    lineParts
      .filter((text) => text.trim())
      .forEach((text, i) => {
        const joiner = result.length === 0 ? '\n\n' : i === 0 && lineIndex > 0 ? '\n' : ' ';
        result.push({ text, joiner });
      });
  });
  return result;
}

/** The end of a chunk to repeat at the start of the next: at most `limit` characters, from a sentence or word start. */
function overlapTail(body: string, limit: number): string {
  if (limit <= 0 || body.length === 0) return '';
  if (body.length <= limit) return body;
  const tail = body.slice(body.length - limit);
  const sentence = /(?:[.!?…]["'”’)\]]*\s+|\n+)(?=\S)/.exec(tail);
  if (sentence) return tail.slice(sentence.index + sentence[0].length);
  const word = /\s+(?=\S)/.exec(tail);
  return word ? tail.slice(word.index + word[0].length) : '';
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/**
 * Cuts sections into chunks for embedding. A chunk never spans two sections (headings are natural topic
 * boundaries); it packs whole paragraphs while they fit, splits a paragraph that does not at sentence boundaries
 * (then words), starts with its heading path as context, and repeats the end of the previous chunk of the same
 * section (up to overlapChars) so an answer straddling the cut is found in both. Deterministic: the same
 * sections and options always give the same chunks.
 */
export function chunkDocument(sections: Section[], options: ChunkOptions = {}): Chunk[] {
  const maxChars = options.maxChars ?? 1200;
  const overlapChars = options.overlapChars ?? 150;
  if (!Number.isInteger(maxChars) || maxChars < 40)
    throw new RangeError('maxChars must be an integer of at least 40');
  if (!Number.isInteger(overlapChars) || overlapChars < 0)
    throw new RangeError('overlapChars must be a non-negative integer');

  const chunks: Chunk[] = [];
  for (const section of sections) {
    // The context may take at most a quarter of the chunk, so a deep heading path never crowds out the text.
    const context = truncate(section.headingPath.join(' > '), Math.floor(maxChars / 4));
    const prefix = context ? `${context}\n\n` : '';
    const budget = maxChars - prefix.length;
    // Overlap may not take more than a third of the room, or chunks would mostly repeat each other.
    const overlapLimit = Math.min(overlapChars, Math.floor(budget / 3));
    const emit = (body: string) => {
      chunks.push({
        index: chunks.length,
        headingPath: [...section.headingPath],
        body,
        text: `${prefix}${body}`,
      });
    };

    let body = '';
    for (const piece of section.paragraphs.flatMap((paragraph) => pieces(paragraph, budget))) {
      const joined = body ? `${body}${piece.joiner}${piece.text}` : piece.text;
      if (joined.length <= budget) {
        body = joined;
        continue;
      }
      emit(body);
      const overlap = overlapTail(body, overlapLimit);
      const withOverlap = overlap ? `${overlap}${piece.joiner}${piece.text}` : piece.text;
      body = withOverlap.length <= budget ? withOverlap : piece.text;
    }
    if (body) emit(body);
  }
  return chunks;
}
