/**
 * Pieces every connector shares: the correlation key we stamp on external tickets, the event marker we put on
 * our own comments (dedupe across retries and loop prevention inbound), descriptions, and ADF for Jira.
 */
import { createHash } from 'node:crypto';
import { ItsmError, isItsmError } from './http';
import type { CreateResult, ExternalRef, ItsmTicketSnapshot, ToolType } from './types';

export const CORRELATION_PREFIX = 'triage-';
const TICKET_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/**
 * Our correlation key on the external ticket: `triage-<ticketId>` (Jira label, ServiceNow correlation_id,
 * Zendesk external_id, SDP udf or subject tag). Ticket ids are restricted so the key is safe inside JQL,
 * encoded queries and search criteria.
 */
export function correlationKey(ticketId: string, system?: ToolType): string {
  if (typeof ticketId !== 'string' || !TICKET_ID.test(ticketId)) {
    throw new ItsmError({
      kind: 'invalid',
      message: 'ticket id must be 1-100 characters of A-Z a-z 0-9 _ - (starting with a letter or digit)',
      system,
      operation: 'correlate',
    });
  }
  return CORRELATION_PREFIX + ticketId;
}

/** The ticket id inside a correlation key, or undefined when the value is not one of ours. */
export function ticketIdFromCorrelation(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /triage-([A-Za-z0-9][A-Za-z0-9_-]{0,99})/.exec(value);
  return match?.[1];
}

/**
 * Exactly-once create: look for the correlation key first and return what is there; create only when nothing
 * is. A create refused as a duplicate/conflict (another attempt won the race, or the tool's own idempotency
 * key matched) is answered by looking again.
 */
export async function createOnce(
  find: () => Promise<ExternalRef | null>,
  create: () => Promise<ExternalRef>,
): Promise<CreateResult> {
  const existing = await find();
  if (existing) return { ...existing, created: false };
  try {
    return { ...(await create()), created: true };
  } catch (error) {
    if (isItsmError(error) && error.kind === 'conflict') {
      const again = await find();
      if (again) return { ...again, created: false };
    }
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Event markers
// ---------------------------------------------------------------------------------------------------------

const SAFE_EVENT_ID = /^[A-Za-z0-9._:@/-]{1,100}$/;
export const MARKER_PATTERN = /\[triage-ref:([A-Za-z0-9._:@/-]{1,100})\]/;

/** The id written into a marker: the event id itself when it is short and plain, else a hash of it. */
export function markerId(eventId: string): string {
  return SAFE_EVENT_ID.test(eventId) ? eventId : 'h' + sha256(eventId).slice(0, 40);
}

export function marker(eventId: string): string {
  return `[triage-ref:${markerId(eventId)}]`;
}

/** Appends our marker on its own line: the comment is recognisable as ours and as this event's. */
export function withMarker(body: string, eventId: string): string {
  return `${body.trimEnd()}\n\n${marker(eventId)}`;
}

export function hasMarker(text: unknown, eventId: string): boolean {
  return typeof text === 'string' && text.includes(marker(eventId));
}

/** The marker's event id in a text, if the text was written by us. */
export function findMarker(text: unknown): string | undefined {
  return typeof text === 'string' ? MARKER_PATTERN.exec(text)?.[1] : undefined;
}

export function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A deterministic event id for calls made without one, so a retry with the same input gets the same id. */
export function derivedEventId(...parts: Array<string | undefined | null>): string {
  return 'd-' + sha256(parts.map((p) => p ?? '').join('\u0000')).slice(0, 40);
}

// ---------------------------------------------------------------------------------------------------------
// Text
// ---------------------------------------------------------------------------------------------------------

export function truncate(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : oneLine.slice(0, max - 1).trimEnd() + '…';
}

/** The external ticket's description: the customer's text, then what triage knows. */
export function describe(snapshot: ItsmTicketSnapshot): string {
  const facts = [
    `Priority: ${snapshot.priority}`,
    snapshot.category ? `Category: ${snapshot.category}` : undefined,
    snapshot.customerTier ? `Customer tier: ${snapshot.customerTier}` : undefined,
    snapshot.requesterEmail ? `Requester: ${snapshot.requesterEmail}` : undefined,
    snapshot.assignee ? `Assignee: ${snapshot.assignee}` : undefined,
    `Support triage ticket: ${snapshot.ticketId}${snapshot.url ? ` (${snapshot.url})` : ''}`,
  ].filter((line): line is string => line !== undefined);
  return `${snapshot.content.trim()}\n\n---\n${facts.join('\n')}`;
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Plain text → simple HTML paragraphs (ServiceDesk Plus descriptions and notes are HTML). */
export function textToHtml(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((para) => `<p>${escapeHtml(para).replace(/\n/g, '<br>')}</p>`)
    .join('');
}

/** HTML → text (ServiceDesk Plus notes, inbound comments): the knowledge base's HTML reader. */
export { htmlToText } from '../../knowledge/html';

// ---------------------------------------------------------------------------------------------------------
// Atlassian Document Format (Jira Cloud REST v3 descriptions and comment bodies)
// ---------------------------------------------------------------------------------------------------------

export interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
  attrs?: Record<string, unknown>;
  marks?: unknown[];
}

export interface AdfDoc {
  type: 'doc';
  version: 1;
  content: AdfNode[];
}

/** Plain text → ADF: blank lines separate paragraphs, single newlines become hardBreak nodes. */
export function toAdf(text: string): AdfDoc {
  const paragraphs = text
    .replace(/\r\n/g, '\n')
    .split(/\n{2,}/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((para) => {
      const content: AdfNode[] = [];
      para.split('\n').forEach((line, i) => {
        if (i > 0) content.push({ type: 'hardBreak' });
        if (line.length > 0) content.push({ type: 'text', text: line });
      });
      return { type: 'paragraph', content };
    }),
  };
}

/** ADF → plain text (paragraphs separated by blank lines). Accepts a plain string too (API v2 payloads). */
export function adfToText(node: unknown): string {
  if (typeof node === 'string') return node;
  if (!node || typeof node !== 'object') return '';
  const n = node as AdfNode;
  if (n.type === 'text') return n.text ?? '';
  if (n.type === 'hardBreak') return '\n';
  const inner = (n.content ?? []).map(adfToText);
  if (n.type === 'doc') return inner.join('\n\n');
  return inner.join('');
}
