/**
 * The product's webhook signature: `X-Signature-Timestamp: <unix seconds>` and
 * `X-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>">`. Receivers recompute it and refuse stale
 * timestamps, which stops replays.
 */
import crypto from 'node:crypto';

export function signatureHeaders(secret: string, rawBody: string, nowMs: number): Record<string, string> {
  const timestamp = String(Math.floor(nowMs / 1000));
  const mac = crypto.createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex');
  return { 'X-Signature-Timestamp': timestamp, 'X-Signature': `v1=${mac}` };
}
