/** Request schemas: every body and query is parsed here; unknown fields are refused. */
import { z } from 'zod';
import { WEEKDAYS, isValidTimeZone } from '../domain/business-calendar';
import { SLA_STATES } from '../domain/sla';
import {
  CUSTOMER_TIERS,
  MAX_ESCALATION_LEVEL,
  PRIORITIES,
  TICKET_SOURCES,
  TICKET_STATUSES,
  parsePriority,
} from '../domain/vocabulary';

/**
 * Records keyed by input: a `__proto__` key is refused before zod copies the record (which would make the
 * value the copy's prototype instead of an entry).
 */
function ownKeysOnly<T extends z.ZodType>(record: T) {
  return z
    .custom<unknown>(
      (v) => !(v !== null && typeof v === 'object' && Object.hasOwn(v, '__proto__')),
      'the key __proto__ is not allowed',
    )
    .pipe(record);
}

const priority = z.string().transform((v, ctx) => {
  const p = parsePriority(v);
  if (!p) ctx.addIssue({ code: 'custom', message: `must be one of ${PRIORITIES.join(', ')} (or urgent)` });
  return p ?? 'medium';
});

const seconds = z
  .number()
  .int()
  .min(1)
  .max(365 * 24 * 3600);

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time as HH:MM');
const windowSchema = z
  .tuple([hhmm, hhmm])
  .refine(([start, end]) => start < end, 'a window must end after it starts');

const calendarSchema = z
  .object({
    timezone: z.string().refine(isValidTimeZone, 'an IANA time zone such as Europe/Berlin'),
    weekly: ownKeysOnly(
      z.partialRecord(
        z.enum(WEEKDAYS),
        z
          .array(windowSchema)
          .max(6)
          .refine((windows) => {
            const sorted = [...windows].sort((a, b) => (a[0] < b[0] ? -1 : 1));
            return sorted.every((w, i) => i === 0 || sorted[i - 1]![1] <= w[0]);
          }, 'windows of one day must not overlap'),
      ),
    ),
    holidays: z.array(z.iso.date()).max(400).default([]),
  })
  .strict()
  .refine((c) => Object.values(c.weekly).some((w) => w && w.length > 0), {
    message: 'at least one weekday needs working hours',
    path: ['weekly'],
  });

export const slaPolicySchema = z
  .object({
    targets: ownKeysOnly(
      z.partialRecord(
        z.enum(PRIORITIES),
        z
          .object({
            first_response_seconds: seconds.optional(),
            resolution_seconds: seconds.optional(),
            next_reply_seconds: seconds.optional(),
          })
          .strict(),
      ),
    ).optional(),
    tier_multipliers: ownKeysOnly(
      z.partialRecord(z.enum(CUSTOMER_TIERS), z.number().positive().max(100)),
    ).optional(),
    warning_thresholds: z.array(z.number().gt(0).lt(1)).min(1).max(5).optional(),
    pause_statuses: z.array(z.enum(['pending_customer', 'pending_vendor'])).optional(),
    calendar: calendarSchema.nullable().optional(),
    resolution_on_reopen: z.enum(['resume', 'restart']).optional(),
    escalation: z
      .object({
        raise_priority: z.boolean().optional(),
        escalation_level: z.number().int().min(1).max(MAX_ESCALATION_LEVEL).nullable().optional(),
        reassign_to: z.string().trim().min(1).max(255).nullable().optional(),
        notify: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const targetBase = {
  name: z.string().trim().min(1).max(255),
  url: z.url({ protocol: /^https?$/ }),
  events: z
    .array(z.enum(['warning', 'breach']))
    .min(1)
    .default(['warning', 'breach']),
};

export const notificationTargetSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('slack'), ...targetBase }).strict(),
  z.object({ type: z.literal('webhook'), ...targetBase, secret: z.string().min(16).max(512) }).strict(),
]);

export const setPrioritySchema = z
  .object({ priority: priority, customer_tier: z.enum(CUSTOMER_TIERS).optional() })
  .strict();

export const slaReportQuerySchema = z
  .object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .strict()
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] });

const categoryName = z.string().regex(/^[a-z][a-z0-9_]{0,63}$/, 'lowercase letters, digits and _');

export const tenantSettingsSchema = z
  .object({
    sla_policy: slaPolicySchema.optional(),
    auto_close_after_hours: z
      .number()
      .min(0)
      .max(24 * 365)
      .optional(),
    // A name, or a name with a description and a few labelled examples (for the few-shot model and the LLM).
    categories: z
      .array(
        z.union([
          categoryName,
          z
            .object({
              name: categoryName,
              description: z.string().trim().min(1).max(500).optional(),
              examples: z.array(z.string().trim().min(1).max(2000)).max(50).optional(),
            })
            .strict(),
        ]),
      )
      .min(1)
      .max(100)
      .optional(),
    products: z.array(z.string().min(1).max(64)).min(1).max(100).optional(),
    escalation_triggers: z
      .object({
        keywords: z.array(z.string().trim().min(2).max(100)).max(500).optional(),
        min_retrieval_score: z.number().min(0).max(1).nullable().optional(),
        negative_sentiment_max: z.number().int().min(0).max(10).optional(),
        high_tiers: z.array(z.enum(CUSTOMER_TIERS)).optional(),
        level: z.number().int().min(1).max(MAX_ESCALATION_LEVEL).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type TenantSettings = z.infer<typeof tenantSettingsSchema>;

export const createTenantSchema = z
  .object({
    slug: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$/, 'lowercase letters, digits and dashes, 3-64 chars'),
    name: z.string().trim().min(1).max(255),
    tier: z.enum(CUSTOMER_TIERS).default('standard'),
    settings: tenantSettingsSchema.default({}),
  })
  .strict();

export const createTicketSchema = z
  .object({
    content: z.string().trim().min(1).max(50_000),
    title: z.string().trim().min(1).max(500).optional(),
    email: z.email().max(320).optional(),
    priority: priority.optional(),
    customer_tier: z.enum(CUSTOMER_TIERS).optional(),
    source: z.enum(TICKET_SOURCES).default('api'),
    metadata: ownKeysOnly(z.record(z.string(), z.unknown())).default({}),
    external_id: z.string().trim().min(1).max(255).optional(),
  })
  .strict();

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(values)).min(1));

export const listTicketsQuerySchema = z
  .object({
    status: csv(TICKET_STATUSES).optional(),
    priority: csv(PRIORITIES).optional(),
    category: z.string().max(64).optional(),
    customer_tier: z.enum(CUSTOMER_TIERS).optional(),
    assignee: z.string().max(255).optional(),
    sla_state: z.enum(SLA_STATES).optional(),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
    sort: z.enum(['created', 'sla']).default('created'),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(512).optional(),
  })
  .strict();

export const listEventsQuerySchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z
      .string()
      .regex(/^[1-9]\d{0,17}$/, 'a cursor from a previous page')
      .transform(Number)
      .optional(),
  })
  .strict();

const note = z.string().trim().min(1).max(10_000);

export const assignSchema = z.object({ assignee: z.string().trim().min(1).max(255) }).strict();
export const messageSchema = z
  .object({
    body: z.string().trim().min(1).max(50_000),
    author: z.enum(['agent', 'customer']).optional(),
    internal: z.boolean().default(false),
    next_status: z.enum(['pending_customer', 'pending_vendor', 'in_progress']).optional(),
  })
  .strict();
export const escalateSchema = z
  .object({ reason: note, level: z.number().int().min(1).max(MAX_ESCALATION_LEVEL).optional() })
  .strict();
export const resolveSchema = z.object({ resolution: note.optional() }).strict();
export const reopenSchema = z.object({ reason: note.optional() }).strict();
export const closeSchema = z.object({ reason: note.optional() }).strict();

export const ticketIdSchema = z.uuid();
