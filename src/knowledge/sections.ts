import type { Section } from './types';

/**
 * Collects paragraphs into sections as headings come and go: a heading of level n closes every open heading of
 * level n or deeper. A heading with no paragraph of its own yields no section, but stays in its children's path.
 */
export function createSectionBuilder() {
  let open: Array<{ level: number; text: string }> = [];
  let current: Section | undefined;
  const sections: Section[] = [];

  return {
    heading(level: number, text: string): void {
      const title = collapseWhitespace(text);
      if (!title) return;
      open = [...open.filter((h) => h.level < level), { level, text: title }];
      current = undefined;
    },
    paragraph(text: string): void {
      const paragraph = text.trim();
      if (!paragraph) return;
      if (!current) {
        current = { headingPath: open.map((h) => h.text), paragraphs: [] };
        sections.push(current);
      }
      current.paragraphs.push(paragraph);
    },
    sections: (): Section[] => sections,
  };
}

/** One line, single spaces (non-breaking ones included). */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0]+/g, ' ').trim();
}

/** Keeps line breaks, trims each line and collapses the spaces inside it. */
export function tidyLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.replace(/[ \t\f\v\r\u00a0]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
