/**
 * Sends one SLA alert to one target: a Slack incoming webhook, or a signed generic webhook. The target's URL
 * is the tenant's, so the request goes through the outbound policy: an address it refuses fails the delivery
 * for good (nothing is sent), a redirect is not followed, and the answer's body is never read into an error.
 */
import type { NotificationTarget } from '../../stores/notification-repository';
import { signedHeaders } from '../../platform/crypto/signing';
import { type OutboundPolicy, isOutboundRefusedError } from '../../platform/net/outbound-policy';
import { ownValue } from '../../domain/lookup';
import { parseRetryAfter } from '../itsm/http';

export interface SlaAlertMessage {
  event_id: string;
  type: 'sla.warning' | 'sla.breach';
  ticket: { id: string; title: string; priority: string; customer_tier: string; status: string; url: string };
  clock: string;
  threshold: number;
  cycle: number;
  deadline: string;
  fired_at: string;
  remaining_seconds: number;
  temporal_ui_url: string | null;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly httpStatus?: number,
    /** The target's Retry-After (429, 503): when to try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

const CLOCK_NAMES: Record<string, string> = {
  first_response: 'first response',
  next_reply: 'next reply',
  resolution: 'resolution',
};

export function humanDuration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  const parts = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor((s % 86400) / 3600), 'h'],
    [Math.floor((s % 3600) / 60), 'm'],
    [s % 60, 's'],
  ] as const;
  const shown = parts.filter(([n]) => n > 0).slice(0, 2);
  return shown.length ? shown.map(([n, unit]) => `${n}${unit}`).join(' ') : '0s';
}

/** Slack's incoming-webhook payload: `text` as the fallback, one section block with the link. */
export function slackPayload(m: SlaAlertMessage): { text: string; blocks: unknown[] } {
  const clock = ownValue(CLOCK_NAMES, m.clock) ?? m.clock;
  const time =
    m.type === 'sla.breach'
      ? `overdue by ${humanDuration(m.remaining_seconds)}`
      : `${humanDuration(m.remaining_seconds)} left`;
  const headline = `${m.type === 'sla.breach' ? ':rotating_light: SLA breach' : ':warning: SLA warning'}: ${clock} ${time}`;
  const title = m.ticket.title.replace(/[<>&]/g, ' ');
  const text = `${headline} on <${m.ticket.url}|${title}> (${m.ticket.priority}, ${m.ticket.customer_tier})`;
  const links = m.temporal_ui_url ? ` · <${m.temporal_ui_url}|workflow>` : '';
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: `${text}${links}` } }] };
}

export async function deliverAlert(
  target: NotificationTarget,
  message: SlaAlertMessage,
  options: { outbound: OutboundPolicy; timeoutMs?: number; nowMs?: number },
): Promise<{ httpStatus: number }> {
  return postToTarget(
    target,
    target.type === 'slack' ? slackPayload(message) : message,
    message.event_id,
    options,
  );
}

/**
 * POSTs a JSON payload to a tenant's target (SLA alerts, AI agents' messages): signed when it is a webhook,
 * through the outbound policy, without following redirects; a failure names the target, never its URL.
 */
export async function postToTarget(
  target: NotificationTarget,
  payload: unknown,
  eventId: string,
  options: { outbound: OutboundPolicy; timeoutMs?: number; nowMs?: number },
): Promise<{ httpStatus: number }> {
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.type === 'webhook') {
    if (!target.secret) throw new DeliveryError('webhook target has no signing secret', false);
    // The same signature scheme as the ITSM webhook connector, so one receiver verifies both.
    Object.assign(headers, signedHeaders(target.secret, body, eventId, options.nowMs ?? Date.now()));
  }
  let response: Response;
  try {
    response = await options.outbound.fetch(target.url, {
      method: 'POST',
      headers,
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    // Name the target, never its URL: a Slack webhook URL is a credential.
    if (isOutboundRefusedError(error)) {
      throw new DeliveryError(
        `${target.type} target "${target.name}" not sent: its URL ${error.reason}`,
        error.retryable,
      );
    }
    const reason =
      error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'could not connect';
    throw new DeliveryError(`${target.type} target "${target.name}" ${reason}`, true);
  }
  await response.body?.cancel().catch(() => undefined);
  const retryAfterMs =
    response.status === 429 || response.status === 503
      ? parseRetryAfter(response.headers, options.nowMs ?? Date.now())
      : undefined;
  if (response.ok) return { httpStatus: response.status };
  if (response.status >= 300 && response.status < 400) {
    throw new DeliveryError(
      `${target.type} target "${target.name}" answered with a redirect (${response.status}), which is not followed`,
      false,
      response.status,
    );
  }
  const retryable = response.status === 429 || response.status >= 500 || response.status === 408;
  throw new DeliveryError(
    `${target.type} target "${target.name}" answered ${response.status}`,
    retryable,
    response.status,
    retryAfterMs,
  );
}
