/** Knowledge-base documents as the ingestion pipeline sees them: parsed into sections, then cut into chunks. */

export type DocumentFormat = 'markdown' | 'html' | 'text';

/** A run of paragraphs under one heading; `headingPath` lists the headings above it, outermost first. */
export interface Section {
  headingPath: string[];
  paragraphs: string[];
}

export interface ParsedDocument {
  /** The document's own title (Markdown/HTML first-level heading, HTML <title>), if it has one. */
  title: string | null;
  sections: Section[];
}

export interface Chunk {
  /** Position in the document, from 0. */
  index: number;
  headingPath: string[];
  /** The section text this chunk covers (starting with the overlap carried from the previous chunk). */
  body: string;
  /** What to embed and show: the heading path as context, a blank line, then the body. At most maxChars. */
  text: string;
}
