/**
 * Envelope encryption of ITSM credentials at rest: AES-256-GCM with a random 12-byte IV per value, the key id
 * and a caller-chosen AAD (the tenant id) bound into the authentication tag.
 *
 * Sealed format (one string, safe in a TEXT column): `v1.<keyId>.<iv>.<tag>.<ciphertext>`, each binary part
 * base64url. Rotation without downtime: keep the old key in the ring, make the new one active; `open` decrypts
 * with whichever key the value names, `seal` always uses the active key, `needsRotation` tells which rows to
 * re-seal (`rotate` does it). Errors never contain key material, plaintext or the sealed value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

export type SecretBoxErrorCode = 'invalid_key' | 'malformed' | 'unknown_key' | 'decrypt_failed';

export class SecretBoxError extends Error {
  constructor(
    readonly code: SecretBoxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

export interface SecretBoxOptions {
  /** key id → base64 (or base64url) encoding of exactly 32 random bytes. */
  keys: Record<string, string>;
  activeKeyId: string;
}

export interface SecretBox {
  readonly activeKeyId: string;
  /** Encrypts a JSON-serialisable value with the active key; `aad` (e.g. the tenant id) must be given to open. */
  seal(plaintext: unknown, aad: string): string;
  /** Decrypts a value sealed by any key still in the ring; throws SecretBoxError on tampering or a wrong AAD. */
  open<T = unknown>(sealed: string, aad: string): T;
  /** True when the value was sealed with a key other than the active one. */
  needsRotation(sealed: string): boolean;
  /** Opens with the value's key and seals again with the active key (unchanged if already active). */
  rotate(sealed: string, aad: string): string;
}

function decodeKey(keyId: string, encoded: string): Buffer {
  if (!KEY_ID.test(keyId)) {
    throw new SecretBoxError('invalid_key', `key id "${keyId}" must be 1-32 characters of A-Z a-z 0-9 _ -`);
  }
  const normalised = encoded.trim().replace(/-/g, '+').replace(/_/g, '/');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(normalised)) {
    throw new SecretBoxError('invalid_key', `key "${keyId}" is not base64`);
  }
  const key = Buffer.from(normalised, 'base64');
  if (key.length !== KEY_BYTES) {
    throw new SecretBoxError('invalid_key', `key "${keyId}" must decode to ${KEY_BYTES} bytes`);
  }
  return key;
}

function aadFor(keyId: string, aad: string): Buffer {
  // The version and key id are authenticated too, so a value cannot be re-labelled with another key id.
  return Buffer.from(`support-triage:itsm-credentials:${VERSION}:${keyId}:${aad}`, 'utf8');
}

interface Parsed {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function parseSealed(sealed: string): Parsed {
  if (typeof sealed !== 'string') throw new SecretBoxError('malformed', 'sealed value must be a string');
  const parts = sealed.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION) {
    throw new SecretBoxError('malformed', `sealed value is not in the ${VERSION} format`);
  }
  const [, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  if (!KEY_ID.test(keyId) || ![iv, tag, ciphertext].every((p) => B64URL.test(p))) {
    throw new SecretBoxError('malformed', 'sealed value has invalid characters');
  }
  const parsed = {
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
  if (parsed.iv.length !== IV_BYTES || parsed.tag.length !== TAG_BYTES || parsed.ciphertext.length === 0) {
    throw new SecretBoxError('malformed', 'sealed value has parts of the wrong length');
  }
  return parsed;
}

export function createSecretBox(options: SecretBoxOptions): SecretBox {
  const ring = new Map<string, Buffer>();
  for (const [keyId, encoded] of Object.entries(options.keys)) ring.set(keyId, decodeKey(keyId, encoded));
  if (ring.size === 0) throw new SecretBoxError('invalid_key', 'at least one key is required');
  const activeKeyId = options.activeKeyId;
  const activeKey = ring.get(activeKeyId);
  if (!activeKey)
    throw new SecretBoxError('unknown_key', `active key id "${activeKeyId}" is not in the key ring`);

  function requireAad(aad: string): void {
    if (typeof aad !== 'string' || aad.length === 0) {
      throw new SecretBoxError('malformed', 'an AAD (e.g. the tenant id) is required');
    }
  }

  function seal(plaintext: unknown, aad: string): string {
    requireAad(aad);
    const json = JSON.stringify(plaintext);
    if (json === undefined) throw new SecretBoxError('malformed', 'plaintext must be JSON-serialisable');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', activeKey!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadFor(activeKeyId, aad));
    const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [
      VERSION,
      activeKeyId,
      iv.toString('base64url'),
      tag.toString('base64url'),
      ciphertext.toString('base64url'),
    ].join('.');
  }

  function open<T>(sealed: string, aad: string): T {
    requireAad(aad);
    const parsed = parseSealed(sealed);
    const key = ring.get(parsed.keyId);
    if (!key) throw new SecretBoxError('unknown_key', `no key "${parsed.keyId}" in the key ring`);
    let json: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadFor(parsed.keyId, aad));
      decipher.setAuthTag(parsed.tag);
      json = Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // Deliberately vague: tampered ciphertext, tag, IV, or the wrong AAD all end here.
      throw new SecretBoxError(
        'decrypt_failed',
        'sealed value failed authentication (tampered or wrong AAD)',
      );
    }
    return JSON.parse(json) as T;
  }

  return {
    activeKeyId,
    seal,
    open,
    needsRotation: (sealed) => parseSealed(sealed).keyId !== activeKeyId,
    rotate: (sealed, aad) =>
      parseSealed(sealed).keyId === activeKeyId ? sealed : seal(open(sealed, aad), aad),
  };
}

/**
 * Parses a key ring from an environment string such as `ITSM_KEYS="k2:BASE64,k1:BASE64"`; the first entry is
 * the active key. Messages name key ids only, never key material.
 */
export function parseKeyRing(value: string | undefined): SecretBoxOptions {
  if (!value || value.trim() === '') throw new SecretBoxError('invalid_key', 'ITSM key ring is empty');
  const keys: Record<string, string> = {};
  let activeKeyId: string | undefined;
  for (const [index, entry] of value.split(',').entries()) {
    const trimmed = entry.trim();
    const colon = trimmed.indexOf(':');
    if (colon <= 0)
      throw new SecretBoxError('invalid_key', `key ring entry ${index + 1} must be "<keyId>:<base64>"`);
    const keyId = trimmed.slice(0, colon);
    if (Object.hasOwn(keys, keyId))
      throw new SecretBoxError('invalid_key', `key id "${keyId}" appears twice`);
    if (keyId === '__proto__') throw new SecretBoxError('invalid_key', 'a key id cannot be "__proto__"');
    const encoded = trimmed.slice(colon + 1);
    decodeKey(keyId, encoded); // validate early, with a message that names the key id only
    Object.defineProperty(keys, keyId, { value: encoded, enumerable: true, writable: true });
    activeKeyId ??= keyId;
  }
  return { keys, activeKeyId: activeKeyId! };
}

/** Convenience: `createSecretBox(parseKeyRing(keyRing))`, the key ring being SECRET_KEYS (see config). */
export function secretBoxFromEnv(value: string | undefined): SecretBox {
  return createSecretBox(parseKeyRing(value));
}
