import { decodeHTML as decodeEntities } from 'entities';
import { type Token, type Tokens, lexer } from 'marked';
import { createSectionBuilder, tidyLines } from './sections';
import { htmlToText } from './html';
import type { ParsedDocument } from './types';

// marked ships only ES modules: Node ≥ 20.19 requires them natively, and jest compiles it (jest.config.js).

/** Plain text of inline tokens: emphasis and links keep their words, images their alt text, HTML tags go. */
function inlineText(tokens: Token[] | undefined, fallback = ''): string {
  if (!tokens) return decodeEntities(fallback);
  return tokens
    .map((token): string => {
      switch (token.type) {
        case 'text':
          return 'tokens' in token && token.tokens ? inlineText(token.tokens) : decodeEntities(token.text);
        case 'escape':
        case 'codespan':
          return token.text;
        case 'br':
          return '\n';
        case 'image':
          return token.text;
        case 'html':
          return '';
        default:
          return 'tokens' in token && token.tokens
            ? inlineText(token.tokens)
            : 'text' in token
              ? token.text
              : '';
      }
    })
    .join('');
}

/** A list as lines "- item" / "1. item", nested lists indented below their item. */
function listLines(list: Tokens.List, depth = 0): string[] {
  const start = typeof list.start === 'number' ? list.start : 1;
  return list.items.flatMap((item, i) => {
    const marker = list.ordered ? `${start + i}.` : '-';
    const own = item.tokens
      .filter((t) => t.type !== 'list')
      .map((t) => blockText(t))
      .filter(Boolean);
    const nested = item.tokens.filter((t): t is Tokens.List => t.type === 'list');
    const checkbox = item.task ? (item.checked ? '[x] ' : '[ ] ') : '';
    return [
      `${'  '.repeat(depth)}${marker} ${checkbox}${own.join(' ').replace(/\s*\n\s*/g, ' ')}`,
      ...nested.flatMap((sub) => listLines(sub, depth + 1)),
    ];
  });
}

function blockText(token: Token): string {
  switch (token.type) {
    case 'paragraph':
    case 'text':
      return tidyLines(inlineText('tokens' in token ? token.tokens : undefined, token.text));
    case 'code':
      return (token as Tokens.Code).text.replace(/^\n+|\s+$/g, '');
    case 'list':
      return listLines(token as Tokens.List).join('\n');
    case 'table': {
      const table = token as Tokens.Table;
      const row = (cells: Tokens.TableCell[]) =>
        cells.map((cell) => inlineText(cell.tokens, cell.text).trim()).join(' | ');
      return [row(table.header), ...table.rows.map(row)].join('\n');
    }
    case 'html':
      return htmlToText((token as Tokens.HTML).text);
    default:
      return '';
  }
}

export function parseMarkdown(content: string): ParsedDocument {
  const builder = createSectionBuilder();
  let title: string | null = null;
  let firstHeading: string | null = null;

  const visit = (tokens: Token[]) => {
    for (const token of tokens) {
      if (token.type === 'heading') {
        const heading = token as Tokens.Heading;
        const text = tidyLines(inlineText(heading.tokens, heading.text));
        firstHeading ??= text;
        if (heading.depth === 1) title ??= text;
        builder.heading(heading.depth, text);
      } else if (token.type === 'blockquote') {
        visit((token as Tokens.Blockquote).tokens);
      } else {
        builder.paragraph(blockText(token));
      }
    }
  };
  visit(lexer(content));
  return { title: title ?? firstHeading, sections: builder.sections() };
}
