import { v5 as uuidV5 } from 'uuid';

/** The namespace of this product's name-based ids (RFC 9562 UUIDv5). */
const NAMESPACE = '3c1e2a56-8f0e-5d5c-9b8a-2f6b1f0c7d41';

/** A name-based UUID (v5): the same request or event always maps to the same id. */
export function uuidFromText(text: string): string {
  return uuidV5(text, NAMESPACE);
}
