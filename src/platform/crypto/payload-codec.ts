/**
 * Encrypts every payload the product hands to Temporal (workflow inputs and results, update arguments, query
 * results, activity arguments and results) with AES-256-GCM, so messages, drafts, notes and knowledge passages are
 * ciphertext in the server's database and in exported histories. Search attributes are not payloads: they stay
 * plaintext and carry no personal data. The format follows Temporal's encryption sample: the whole payload,
 * serialised as protobuf, becomes the data of a `binary/encrypted` payload that names its key id.
 *
 * Keys come from PAYLOAD_KEYS (`id:base64key[,id:base64key…]`, the first one encrypts, all of them decrypt), so a
 * key can be rotated by putting a new one first and keeping the old ones until no open ticket uses them.
 */
import crypto from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { parseKeyRing } from './secrets';

const ENCODING = 'binary/encrypted';
const KEY_ID_HEADER = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const utf8 = (text: string) => encoder.encode(text);
const fromUtf8 = (bytes: Uint8Array | null | undefined) => decoder.decode(bytes ?? new Uint8Array());

/**
 * Random bytes for the IVs, drawn from a buffer that is refilled from the CSPRNG 4 KiB at a time and never hands
 * out a byte twice: one call into OpenSSL per ~340 payloads instead of one per payload (a ticket encrypts
 * dozens; the calls showed in the worker's CPU profile).
 */
class RandomBytesPool {
  private pool = Buffer.alloc(0);
  private offset = 0;

  take(size: number): Buffer {
    if (this.offset + size > this.pool.length) {
      this.pool = crypto.randomBytes(4096);
      this.offset = 0;
    }
    const bytes = Buffer.from(this.pool.subarray(this.offset, this.offset + size));
    this.offset += size;
    return bytes;
  }
}

export class PayloadDecryptionError extends Error {}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: Map<string, Buffer>;
  private readonly activeKeyId: string;
  private readonly ivs = new RandomBytesPool();

  /** `keyRing` in the PAYLOAD_KEYS format; throws naming the key id (never the key) when one is malformed. */
  constructor(keyRing: string) {
    const ring = parseKeyRing(keyRing);
    this.keys = new Map(
      Object.entries(ring.keys).map(([id, encoded]) => [
        id,
        Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64'),
      ]),
    );
    this.activeKeyId = ring.activeKeyId;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const key = this.keys.get(this.activeKeyId)!;
    return payloads.map((payload) => {
      const iv = this.ivs.take(IV_BYTES);
      const cipher = crypto.createCipheriv('aes-256-gcm', key, iv);
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCODING), [KEY_ID_HEADER]: utf8(this.activeKeyId) },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      // Payloads written before encryption was switched on (and by other clients) pass through.
      if (fromUtf8(payload.metadata?.encoding) !== ENCODING) return payload;
      const keyId = fromUtf8(payload.metadata?.[KEY_ID_HEADER]);
      const key = this.keys.get(keyId);
      if (!key) throw new PayloadDecryptionError(`payload key "${keyId}" is not in PAYLOAD_KEYS`);
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES)
        throw new PayloadDecryptionError('encrypted payload is truncated');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadDecryptionError('encrypted payload failed authentication');
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The Temporal data converter of the API, the worker and the replayer. */
export function encryptedDataConverter(keyRing: string): { payloadCodecs: PayloadCodec[] } {
  return { payloadCodecs: [new AesGcmPayloadCodec(keyRing)] };
}
