/** The console's only way to the server: same-origin /v1 calls with the signed-in token. */

const TOKEN_KEY = 'support-console.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function storeToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export interface FieldError {
  field: string;
  message: string;
}

/** A problem+json answer (or a network failure, status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors: FieldError[] = [],
  ) {
    super(detail);
  }
}

/** What to tell an agent about a failed call: a 409 is an action the ticket's state does not allow. */
export function describeError(error: unknown): string {
  if (!(error instanceof ApiError)) return String(error);
  if (error.status === 409) return `Not allowed now: ${error.message}`;
  if (error.status === 400 && error.errors.length)
    return `${error.title}: ${error.errors.map((e) => `${e.field} ${e.message}`).join('; ')}`;
  if (error.status === 0) return `The server cannot be reached (${error.message})`;
  return `${error.title}: ${error.message}`;
}

let onUnauthorized: () => void = () => undefined;
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const token = storedToken();
  const init: RequestInit = {
    method,
    cache: 'no-store',
    headers: {
      accept: 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  let res: Response;
  try {
    res = await fetch(path, init);
  } catch (error) {
    throw new ApiError(0, 'Network error', String(error));
  }
  if (res.status === 401) onUnauthorized();
  return res;
}

async function fail(res: Response): Promise<never> {
  let problem: { title?: string; detail?: string; errors?: FieldError[] } = {};
  try {
    problem = await res.json();
  } catch {
    /* not JSON */
  }
  throw new ApiError(
    res.status,
    problem.title ?? res.statusText,
    problem.detail ?? `HTTP ${res.status}`,
    problem.errors ?? [],
  );
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (!res.ok) return fail(res);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

const etags = new Map<string, { etag: string; data: unknown }>();

/**
 * GET with the last answer's ETag: an unchanged resource costs a 304 and no parsing. Returns `changed: false`
 * with the cached value when the server says nothing changed.
 */
export async function poll<T>(path: string): Promise<{ data: T; changed: boolean }> {
  const cached = etags.get(path);
  const res = await send('GET', path, undefined, cached ? { 'if-none-match': cached.etag } : {});
  if (res.status === 304 && cached) return { data: cached.data as T, changed: false };
  if (!res.ok) return fail(res);
  const data = (await res.json()) as T;
  const etag = res.headers.get('etag');
  if (etag) {
    if (etags.size > 200) etags.clear();
    etags.set(path, { etag, data });
  }
  return { data, changed: true };
}

export function clearCache(): void {
  etags.clear();
}

/* Types of the API's answers (see src/api/presenters.ts). */

export type SlaState = 'on_track' | 'at_risk' | 'breached' | 'met' | 'paused';

export interface Me {
  sub: string;
  roles: string[];
  tenant: { id: string; slug: string; name: string; tier: string };
}

export interface TicketSummary {
  id: string;
  title: string;
  content: string;
  status: string;
  priority: string;
  customer_tier: string;
  category: string | null;
  assignee: string | null;
  escalation_level: number;
  sla_state: SlaState;
  created_at: string;
  updated_at: string;
  first_response_at: string | null;
  sla_next: {
    clock: string;
    state: SlaState;
    deadline: string | null;
    target_seconds: number;
    remaining_seconds: number | null;
  } | null;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface ClockView {
  clock: string;
  cycle: number;
  state: SlaState;
  target_seconds: number;
  elapsed_seconds: number;
  remaining_seconds: number;
  deadline: string | null;
  stopped_at: string | null;
  warnings_fired: number[];
  breached: boolean;
}

export interface Passage {
  chunkId?: string;
  chunk_id?: string;
  documentId?: string;
  title?: string;
  text?: string;
  score?: number;
  [key: string]: unknown;
}

export interface TicketDetail extends Omit<TicketSummary, 'sla_next'> {
  requester_email: string | null;
  source: string;
  reopen_count: number;
  resolved_at: string | null;
  closed_at: string | null;
  triage: {
    category: string;
    urgency: string;
    suggested_priority: string;
    sentiment: number;
    product: string | null;
    language: string;
    confidence: number;
    reasoning: string;
    model_used: string;
    created_at: string;
  } | null;
  draft: { body: string; citations: unknown[]; passages: Passage[] } | null;
  messages: Array<{
    id: number;
    author_type: string;
    author_id: string | null;
    body: string;
    is_public: boolean;
    created_at: string;
  }>;
  sla: {
    state: SlaState;
    clocks: ClockView[];
    events: Array<{
      clock: string;
      kind: string;
      threshold: number;
      deadline: string;
      fired_at: string;
      cycle: number;
      remaining_seconds: number;
      notification_status: string;
    }>;
  };
  syncs: Array<{
    system: string;
    operation: string;
    status: string;
    attempts: number;
    error: string | null;
    at: string;
  }>;
  external_refs: Array<{
    system: string;
    external_id: string;
    external_url: string | null;
    external_status: string | null;
    updated_at: string;
  }>;
}

export interface AuditEvent {
  id: number;
  actor_type: string;
  actor_id: string;
  action: string;
  from_status: string | null;
  to_status: string | null;
  details: Record<string, unknown>;
  created_at: string;
}
