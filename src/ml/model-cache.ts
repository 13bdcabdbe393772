/**
 * The on-disk model cache: trained models are JSON files named by a SHA-256 of everything that determines
 * them (training data, options, model version), so a restart loads instead of retraining and any change to
 * the data or the code version trains afresh.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Where models are cached by default: `.data/models` under the working directory (git-ignored). */
export function defaultCacheDir(): string {
  return path.resolve('.data', 'models');
}

export function sha256(...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return hash.digest('hex');
}

/**
 * Returns the cached model for `key`, or builds it, stores it (atomically: write then rename, so a crash
 * never leaves half a file) and returns it. Without a cache directory it just builds.
 */
export function loadOrBuild<T>(
  cache: { dir: string | undefined; name: string; key: string },
  build: () => T,
  codec: { toJSON: (model: T) => unknown; fromJSON: (json: unknown) => T },
): { model: T; fromCache: boolean } {
  if (!cache.dir) return { model: build(), fromCache: false };
  const file = path.join(cache.dir, `${cache.name}-${cache.key.slice(0, 24)}.json`);
  if (fs.existsSync(file)) {
    try {
      return { model: codec.fromJSON(JSON.parse(fs.readFileSync(file, 'utf8'))), fromCache: true };
    } catch {
      // A corrupt or outdated file is rebuilt below and overwritten.
    }
  }
  const model = build();
  fs.mkdirSync(cache.dir, { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, JSON.stringify(codec.toJSON(model)));
  fs.renameSync(temporary, file);
  return { model, fromCache: false };
}

/** Typed arrays travel in JSON as base64 of their bytes (little-endian, as on every platform Node runs on). */
export function encodeArray(array: Float32Array | Uint32Array | Int32Array): string {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');
}

function decodeBytes(base64: string): ArrayBuffer {
  const bytes = Buffer.from(base64, 'base64');
  // Copy into a fresh, aligned buffer: Buffer's pool offset may not be a multiple of 4.
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

export function decodeFloat32(base64: string): Float32Array {
  return new Float32Array(decodeBytes(base64));
}

export function decodeUint32(base64: string): Uint32Array {
  return new Uint32Array(decodeBytes(base64));
}
