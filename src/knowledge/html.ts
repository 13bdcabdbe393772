import { parse, type HTMLElement, type Node, NodeType } from 'node-html-parser';
import { collapseWhitespace, createSectionBuilder, tidyLines } from './sections';
import type { ParsedDocument } from './types';

/** Never knowledge: code, styling, and the site chrome around the article. */
const DROPPED = 'script, style, noscript, template, iframe, svg, nav, [role=navigation], [aria-hidden=true]';

/** Elements that start a new paragraph; everything else is inline and joins the surrounding text. */
const BLOCKS = new Set(
  (
    'address article aside blockquote body dd details div dl dt fieldset figcaption figure footer form header hr ' +
    'li main ol p pre section summary table tbody td tfoot th thead tr ul caption h1 h2 h3 h4 h5 h6'
  ).split(' '),
);

function clean(html: string): HTMLElement {
  const root = parse(html, { comment: false });
  root.querySelectorAll(DROPPED).forEach((element) => element.remove());
  return root;
}

/** Walks the DOM in document order, calling back for headings and paragraphs. */
function walk(
  root: HTMLElement,
  on: { heading(level: number, text: string): void; paragraph(text: string): void },
) {
  let inline = '';
  const flush = () => {
    on.paragraph(tidyLines(inline));
    inline = '';
  };

  const visit = (node: Node): void => {
    if (node.nodeType === NodeType.TEXT_NODE) {
      inline += node.text.replace(/[\s\u00a0]+/g, ' ');
      return;
    }
    if (node.nodeType !== NodeType.ELEMENT_NODE) return;
    const element = node as HTMLElement;
    const tag = element.tagName.toLowerCase();
    if (tag === 'br') {
      inline += '\n';
      return;
    }
    if (!BLOCKS.has(tag)) {
      if (tag === 'img') inline += element.getAttribute('alt') ?? '';
      else element.childNodes.forEach(visit);
      return;
    }
    flush();
    const heading = /^h([1-6])$/.exec(tag);
    if (heading) {
      on.heading(Number(heading[1]), collapseWhitespace(element.text));
    } else if (tag === 'pre') {
      on.paragraph(element.text.replace(/^\n+|\s+$/g, ''));
    } else if (tag === 'table') {
      const rows = element.querySelectorAll('tr').map((row) =>
        row
          .querySelectorAll('th, td')
          .map((cell) => collapseWhitespace(cell.text))
          .join(' | '),
      );
      on.paragraph(rows.filter((row) => row.replace(/[ |]/g, '')).join('\n'));
    } else if (tag === 'li') {
      inline += '- ';
      element.childNodes.forEach(visit);
      flush();
    } else {
      element.childNodes.forEach(visit);
      flush();
    }
  };
  root.childNodes.forEach(visit);
  flush();
}

/** The readable text of an HTML fragment (Markdown files may embed some). */
export function htmlToText(html: string): string {
  const paragraphs: string[] = [];
  walk(clean(html), {
    heading: (_level, text) => paragraphs.push(text),
    paragraph: (text) => text && paragraphs.push(text),
  });
  return paragraphs.join('\n');
}

export function parseHtml(content: string): ParsedDocument {
  const root = clean(content);
  const body =
    root.querySelector('main') ?? root.querySelector('article') ?? root.querySelector('body') ?? root;
  const builder = createSectionBuilder();
  const h1 = collapseWhitespace(root.querySelector('h1')?.text ?? '');
  // Pages often put their h1 in a <header> beside <main>: it still heads everything in it.
  if (h1 && !body.querySelector('h1')) builder.heading(1, h1);
  walk(body, builder);
  const title = collapseWhitespace(root.querySelector('title')?.text ?? '') || h1;
  return { title: title || null, sections: builder.sections() };
}
