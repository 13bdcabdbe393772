/**
 * The product's one vocabulary. The seeds disagree on names; README "Seed vocabulary" maps each of them here.
 * The database enforces the same value sets with CHECK constraints (see migrations).
 */

export const TICKET_STATUSES = [
  'new', // created, triage not started (seed 001 "pending")
  'triaging', // AI triage running (seed 001 "processing")
  'open', // triaged, waiting for an agent (seed 001 "processed", seed 004 "open")
  'ai_failed', // triage gave up: agents work it by hand (seed 001)
  'in_progress', // an agent is on it
  'pending_customer', // waiting on the customer: SLA clocks pause (seed 004)
  'pending_vendor', // waiting on a third party: SLA clocks pause (seed 004)
  'escalated', // escalated to a higher level (seed 003)
  'resolved',
  'closed',
] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];

export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Seed 003 ranks `urgent` above `high`; it is the same level as seed 004's `critical`. */
export const PRIORITY_ALIASES: ReadonlyMap<string, Priority> = new Map([['urgent', 'critical']]);

export const CUSTOMER_TIERS = [
  'free',
  'standard',
  'business',
  'enterprise',
  // seed 000's service tiers
  'starter',
  'professional',
  'global_enterprise',
] as const;
export type CustomerTier = (typeof CUSTOMER_TIERS)[number];

export const TICKET_SOURCES = ['web', 'email', 'api', 'chat', 'phone'] as const;
export type TicketSource = (typeof TICKET_SOURCES)[number];

export const URGENCIES = ['low', 'medium', 'high', 'critical'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const DEFAULT_CATEGORIES = ['billing', 'technical', 'feature_request'] as const;

export const PRODUCTS = ['CASB', 'SWG', 'ZTNA', 'DLP', 'SSPM', 'CFW', 'GENERAL'] as const;

export const MESSAGE_AUTHORS = ['customer', 'agent', 'ai', 'system'] as const;
export type MessageAuthor = (typeof MESSAGE_AUTHORS)[number];

export const ROLES = ['client', 'agent', 'admin', 'superadmin'] as const;
export type Role = (typeof ROLES)[number];

export const MAX_ESCALATION_LEVEL = 3;

/** Normalises a priority given by a client or a seed's vocabulary; undefined if unknown. */
export function parsePriority(value: string): Priority | undefined {
  const lower = value.toLowerCase();
  if ((PRIORITIES as readonly string[]).includes(lower)) return lower as Priority;
  return PRIORITY_ALIASES.get(lower);
}

/** Priority one step higher, capped at critical (used by escalation). */
export function raisePriority(priority: Priority): Priority {
  const index = PRIORITIES.indexOf(priority);
  return PRIORITIES[Math.min(index + 1, PRIORITIES.length - 1)]!;
}

/** The priority the triage's urgency suggests; urgency and priority share one scale. */
export function priorityFromUrgency(urgency: Urgency): Priority {
  return urgency;
}
