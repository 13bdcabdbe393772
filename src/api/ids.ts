import crypto from 'node:crypto';

/** A UUID-shaped id derived from text: the same request or event always maps to the same id. */
export function uuidFromText(text: string): string {
  const hex = crypto.createHash('sha256').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
