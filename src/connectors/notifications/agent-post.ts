/** Posts an AI agent's message to a notification target: Slack's `text`, or a signed generic webhook. */
import type { NotificationTarget } from '../../stores/notification-repository';
import { signedHeaders } from '../../platform/crypto/signing';
import { type OutboundPolicy, isOutboundRefusedError } from '../../platform/net/outbound-policy';
import { DeliveryError } from './deliver';

export interface AgentMessage {
  event_id: string;
  type: 'agent.message';
  agent_id: string;
  execution_id: string;
  text: string;
}

export async function postAgentMessage(
  target: NotificationTarget,
  message: AgentMessage,
  /** Every post goes through the outbound policy: an agent can no more reach the server's network than an alert. */
  options: { outbound: OutboundPolicy; timeoutMs?: number },
): Promise<{ httpStatus: number }> {
  const body = JSON.stringify(target.type === 'slack' ? { text: message.text } : message);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target.type === 'webhook') {
    if (!target.secret) throw new DeliveryError('webhook target has no signing secret', false);
    Object.assign(headers, signedHeaders(target.secret, body, message.event_id));
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
        false,
      );
    }
    throw new DeliveryError(`${target.type} target "${target.name}" could not be reached`, true);
  }
  await response.body?.cancel().catch(() => undefined);
  if (response.ok) return { httpStatus: response.status };
  throw new DeliveryError(
    `${target.type} target "${target.name}" answered ${response.status}`,
    response.status === 429 || response.status >= 500,
    response.status,
  );
}
