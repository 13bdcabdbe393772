import { parseHtml } from './html';
import { parseMarkdown } from './markdown';
import { createSectionBuilder, tidyLines } from './sections';
import type { DocumentFormat, ParsedDocument } from './types';

/** Plain text: paragraphs are separated by blank lines; there are no headings and no title. */
function parseText(content: string): ParsedDocument {
  const builder = createSectionBuilder();
  content.split(/\n[ \t\u00a0]*\n/).forEach((paragraph) => builder.paragraph(tidyLines(paragraph)));
  return { title: null, sections: builder.sections() };
}

/** A document as sections (heading path + paragraphs): Markdown through marked's lexer, HTML through node-html-parser. */
export function parseDocument(input: { content: string; format: DocumentFormat }): ParsedDocument {
  const content = input.content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  switch (input.format) {
    case 'markdown':
      return parseMarkdown(content);
    case 'html':
      return parseHtml(content);
    case 'text':
      return parseText(content);
  }
}
