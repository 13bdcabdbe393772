import { createHash } from 'node:crypto';
import type { DocumentFormat } from './types';

export function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Identifies a document's content, to tell an unchanged re-ingestion from an update. Line endings and a byte-order
 * mark do not count as changes (the same file saved on another OS); the title and format do.
 */
export function contentHash(document: { title: string; content: string; format: DocumentFormat }): string {
  const content = document.content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  return sha256(JSON.stringify([document.format, document.title.trim(), content]));
}
