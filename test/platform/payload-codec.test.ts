import { DefaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, PayloadDecryptionError } from '../../src/platform/crypto/payload-codec';

const key = (byte: number) => Buffer.alloc(32, byte).toString('base64');
const converter = new DefaultPayloadConverter();
const text = (p: { data?: Uint8Array | null }) => Buffer.from(p.data ?? []).toString('utf8');

describe('AesGcmPayloadCodec', () => {
  const codec = new AesGcmPayloadCodec(`k2:${key(2)},k1:${key(1)}`);
  const payload = converter.toPayload({ body: 'My SSN is 123-45-6789, call +1 555 0100' });

  it('encrypts with the first key and decrypts back to the same payload', async () => {
    const [sealed] = await codec.encode([payload]);
    expect(text(sealed!)).not.toContain('123-45-6789');
    expect(Buffer.from(sealed!.metadata!.encoding!).toString()).toBe('binary/encrypted');
    expect(Buffer.from(sealed!.metadata!['encryption-key-id']!).toString()).toBe('k2');
    const [opened] = await codec.decode([sealed!]);
    expect(converter.fromPayload(opened!)).toEqual({ body: 'My SSN is 123-45-6789, call +1 555 0100' });
  });

  it('each encryption is different (random IV)', async () => {
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('never repeats an IV, across refills of its random pool, and every payload still opens', async () => {
    const many = Array.from({ length: 1000 }, (_, i) => converter.toPayload({ i }));
    const sealed = [...(await codec.encode(many.slice(0, 500))), ...(await codec.encode(many.slice(500)))];
    const ivs = new Set(sealed.map((p) => Buffer.from(p.data!).subarray(0, 12).toString('hex')));
    expect(ivs.size).toBe(1000); // 12,000 bytes of IVs: the 4 KiB pool was refilled twice
    const opened = await codec.decode(sealed);
    expect(opened.map((p) => converter.fromPayload(p))).toEqual(many.map((_, i) => ({ i })));
  });

  it('rotation: a payload sealed with an older key still opens while that key is in the ring', async () => {
    const old = new AesGcmPayloadCodec(`k1:${key(1)}`);
    const [sealed] = await old.encode([payload]);
    expect(converter.fromPayload((await codec.decode([sealed!]))[0]!)).toEqual(
      converter.fromPayload(payload),
    );
    const withoutK1 = new AesGcmPayloadCodec(`k3:${key(3)}`);
    await expect(withoutK1.decode([sealed!])).rejects.toThrow(PayloadDecryptionError);
  });

  it('refuses a tampered or truncated payload', async () => {
    const [sealed] = await codec.encode([payload]);
    const tampered = Buffer.from(sealed!.data!);
    tampered[20] = tampered[20]! ^ 1;
    await expect(codec.decode([{ ...sealed!, data: tampered }])).rejects.toThrow('failed authentication');
    await expect(codec.decode([{ ...sealed!, data: tampered.subarray(0, 10) }])).rejects.toThrow('truncated');
  });

  it('passes plaintext payloads (written before encryption) through', async () => {
    expect(await codec.decode([payload])).toEqual([payload]);
  });

  it('names the bad key, never its material', () => {
    expect(() => new AesGcmPayloadCodec('k1:c2hvcnQ=')).toThrow(/k1/);
    expect(() => new AesGcmPayloadCodec('k1:c2hvcnQ=')).not.toThrow(/c2hvcnQ/);
  });
});
