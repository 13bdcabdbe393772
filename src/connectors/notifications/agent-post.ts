/** Posts an AI agent's message to a notification target: Slack's `text`, or a signed generic webhook. */
import type { NotificationTarget } from '../../stores/notification-repository';
import type { OutboundPolicy } from '../../platform/net/outbound-policy';
import { postToTarget } from './deliver';

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
  return postToTarget(
    target,
    target.type === 'slack' ? { text: message.text } : message,
    message.event_id,
    options,
  );
}
