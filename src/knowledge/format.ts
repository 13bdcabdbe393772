import path from 'node:path';
import type { DocumentFormat } from './types';
import { ownValue } from '../domain/lookup';

const BY_EXTENSION: Record<string, DocumentFormat> = {
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.txt': 'text',
};

export const KB_EXTENSIONS = Object.keys(BY_EXTENSION);

export function formatFromFilename(filename: string): DocumentFormat | null {
  return ownValue(BY_EXTENSION, path.extname(filename).toLowerCase()) ?? null;
}

/** Sniffs a document's format from its content: HTML by its tags, Markdown by its block syntax, else text. */
export function formatFromContent(content: string): DocumentFormat {
  const head = content.replace(/^\uFEFF/, '').slice(0, 4000);
  if (/^\s*(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/i.test(head)) return 'html';
  if (
    (head.match(/<\/?(p|div|h[1-6]|ul|ol|li|table|article|section|br|span|a)\b[^>]*>/gi) ?? []).length >= 2
  ) {
    return 'html';
  }
  const markdownSigns = [
    /^#{1,6}\s+\S/m, // ATX heading
    /^(```|~~~)/m, // fenced code
    /^\s{0,3}([-*+]|\d+\.)\s+\S/m, // list item
    /\[[^\]]+\]\([^)]+\)/, // link
    /(\*\*|__)\S[^\n]*\1/, // strong emphasis
    /^\s{0,3}>\s/m, // block quote
    /^[^\n]+\n(=+|-+)\s*$/m, // setext heading
  ];
  return markdownSigns.some((sign) => sign.test(head)) ? 'markdown' : 'text';
}

/**
 * A document's format: from the file name's extension when it has a known one, else sniffed from the content.
 * Null only for a file name with an unknown extension and no content to look at.
 */
export function detectFormat(input: { filename?: string; content?: string }): DocumentFormat | null {
  const byName = input.filename ? formatFromFilename(input.filename) : null;
  if (byName) return byName;
  return input.content !== undefined ? formatFromContent(input.content) : null;
}
