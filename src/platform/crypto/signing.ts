/**
 * Our webhook signature scheme, used outbound (webhook connector) and inbound (generic, ServiceNow and SDP
 * senders): `X-Signature-Timestamp: <unix seconds>` and `X-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw
 * body>">`. Several `v1=` values separated by commas are accepted inbound, so a sender can sign with an old and
 * a new secret while the secret rotates.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-signature-timestamp';
export const EVENT_ID_HEADER = 'x-event-id';

export function hmacSha256(secret: string, message: string | Buffer): Buffer {
  return createHmac('sha256', secret).update(message).digest();
}

/** `v1=<hex>` for a timestamp (unix seconds) and the exact bytes of the body. */
export function signV1(secret: string, timestampSeconds: number | string, rawBody: string | Buffer): string {
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const message = Buffer.concat([Buffer.from(`${timestampSeconds}.`, 'utf8'), body]);
  return 'v1=' + hmacSha256(secret, message).toString('hex');
}

/** Constant-time comparison of two strings (false for different lengths, without comparing contents). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The headers a signed outbound webhook carries. */
export function signedHeaders(
  secret: string,
  rawBody: string,
  eventId: string,
  nowMs: number = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(nowMs / 1000);
  return {
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signV1(secret, timestamp, rawBody),
    [EVENT_ID_HEADER]: eventId,
  };
}
