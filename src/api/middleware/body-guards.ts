/**
 * Cheap checks on a request before and while its body is read. The order in app.ts matters: content encoding
 * and media type (headers only), then authentication, then the body is read with a size limit and its nesting
 * depth counted in one pass over the raw bytes before JSON.parse, and only then walked for NUL characters.
 * Every check here is linear in the size of the body, so an unauthenticated or hostile body costs no more
 * than reading it.
 */
import express, { type Request, type RequestHandler } from 'express';
import { type FieldError, problems } from '../problems';

/** Deeper JSON is refused with 400: no body of this API nests more than a few levels. */
export const MAX_JSON_DEPTH = 32;

/** The body is refused with 415 if it was compressed: the API reads only plain bodies. */
export const refuseContentEncoding: RequestHandler = (req, _res, next) => {
  const encoding = req.get('content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw problems.unsupportedEncoding(encoding);
  }
  next();
};

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

/** The deepest nesting of arrays and objects in JSON text, in one pass; stops counting past `limit`. */
export function jsonDepth(raw: Uint8Array, limit = Infinity): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACKET || byte === OPEN_BRACE) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return deepest;
      }
    } else if (byte === CLOSE_BRACKET || byte === CLOSE_BRACE) depth--;
  }
  return deepest;
}

/** Throws the 400 problem when JSON text nests deeper than MAX_JSON_DEPTH. */
export function assertJsonDepth(raw: Uint8Array): void {
  if (jsonDepth(raw, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw problems.tooDeep(MAX_JSON_DEPTH);
}

/** express.json with the size limit and the depth check, done on the raw bytes before they are parsed. */
export function jsonBody(maxBodyBytes: number): RequestHandler {
  return express.json({
    limit: maxBodyBytes,
    strict: true,
    type: ['application/json', 'application/*+json'],
    // body-parser passes an error thrown here on to the error handler unchanged (it keeps its status).
    verify: (_req, _res, raw) => assertJsonDepth(raw),
  });
}

interface Frame {
  value: unknown;
  key: string;
  parent: Frame | undefined;
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | undefined = frame; f?.parent; f = f.parent) keys.push(f.key);
  return keys.reverse().join('.');
}

/**
 * The first field of a JSON value (or a parsed query) that the API refuses whatever the route: a string or
 * key holding a NUL character, which PostgreSQL cannot store, or a `__proto__` key, which turns into an
 * object's prototype as soon as any code copies it into a plain object. Iterative, and each value is visited
 * once: linear in the size of the value.
 */
export function refusedField(root: unknown): FieldError | undefined {
  const stack: Frame[] = [{ value: root, key: '', parent: undefined }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const { value } = frame;
    if (typeof value === 'string') {
      if (value.includes('\u0000'))
        return { field: pathOf(frame) || '(body)', message: 'must not contain NUL characters' };
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const childFrame = { value: child, key, parent: frame };
        if (key.includes('\u0000'))
          return { field: pathOf(childFrame), message: 'must not contain NUL characters' };
        if (key === '__proto__') return { field: pathOf(childFrame), message: 'this key is not allowed' };
        stack.push(childFrame);
      }
    }
  }
  return undefined;
}

/** Refuses NUL characters and `__proto__` keys in the parsed body and in the query string, naming the field. */
export const refuseUnsafeValues: RequestHandler = (req: Request, _res, next) => {
  const refused = refusedField(req.body) ?? refusedField(req.query);
  if (refused !== undefined) throw problems.validation([refused]);
  next();
};
