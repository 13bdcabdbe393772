/**
 * One ticket: the conversation, the AI triage and cited draft, every SLA clock, the ITSM sync state and the event
 * timeline, with the agent actions (each one of the API's actions; a 409 says why it is not allowed now).
 */
import { type ReactNode, type Ref, useEffect, useRef, useState } from 'react';
import {
  type AuditEvent,
  type Me,
  type Page,
  type Passage,
  type TicketDetail,
  api,
  describeError,
  poll,
} from '../api';
import { Alert, Badge, Section, SlaCountdown } from '../components';
import { SLA_STATE_TEXT, dateTime, duration, label } from '../format';
import { usePolling } from '../hooks';
import { navigate } from '../router';

const POLL_MS = 4000;

type Outcome = { kind: 'ok' | 'error'; text: string } | null;

const SHORTCUTS: Array<[string, string]> = [
  ['r', 'write a reply'],
  ['n', 'write an internal note'],
  ['d', 'put the AI draft in the reply'],
  ['Ctrl+Enter', 'send the reply or note'],
  ['a', 'assign to me'],
  ['e', 'escalate (reason field)'],
  ['s', 'resolve (resolution field)'],
  ['u', 'back to the queue'],
  ['?', 'show these shortcuts'],
];

function passageId(p: Passage): string {
  return String(p.chunk_id ?? p.chunkId ?? '');
}

export function TicketPage(props: { id: string; me: Me }) {
  const { id, me } = props;
  const [ticket, setTicket] = useState<TicketDetail | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [eventsCursor, setEventsCursor] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [busy, setBusy] = useState(false);
  const [reply, setReply] = useState('');
  const [internal, setInternal] = useState(false);
  const [nextStatus, setNextStatus] = useState('');
  const [assignee, setAssignee] = useState('');
  const [escalateReason, setEscalateReason] = useState('');
  const [resolution, setResolution] = useState('');
  const [reopenReason, setReopenReason] = useState('');
  const [showHelp, setShowHelp] = useState(false);
  const replyRef = useRef<HTMLTextAreaElement>(null);
  const escalateRef = useRef<HTMLInputElement>(null);
  const resolveRef = useRef<HTMLInputElement>(null);

  async function loadTicket() {
    try {
      const result = await poll<TicketDetail>(`/v1/tickets/${id}`);
      if (result.changed) setTicket(result.data);
      setLoadError(null);
    } catch (e) {
      setLoadError(describeError(e));
    }
  }

  /** The timeline's first page, refreshed with the ticket; older pages stay loaded once fetched. */
  async function loadEvents() {
    const result = await poll<Page<AuditEvent>>(`/v1/tickets/${id}/events?limit=100`);
    if (!result.changed) return;
    setEvents((previous) => {
      const fresh = result.data.items;
      const lastId = fresh[fresh.length - 1]?.id ?? 0;
      return [...fresh, ...previous.filter((e) => e.id > lastId && result.data.next_cursor !== null)];
    });
    setEventsCursor((c) => c ?? result.data.next_cursor);
  }

  async function moreEvents() {
    if (!eventsCursor) return;
    const page = await api<Page<AuditEvent>>(
      'GET',
      `/v1/tickets/${id}/events?limit=100&cursor=${eventsCursor}`,
    );
    setEvents((previous) => [...previous, ...page.items.filter((e) => !previous.some((p) => p.id === e.id))]);
    setEventsCursor(page.next_cursor);
  }

  usePolling(
    async () => {
      await Promise.all([loadTicket(), loadEvents().catch(() => undefined)]);
    },
    POLL_MS,
    [id],
  );

  async function act(name: string, body: Record<string, unknown>, done: string, after?: () => void) {
    setBusy(true);
    setOutcome(null);
    try {
      await api('POST', `/v1/tickets/${id}/${name}`, body);
      setOutcome({ kind: 'ok', text: done });
      after?.();
      await Promise.all([loadTicket(), loadEvents()]);
    } catch (e) {
      setOutcome({ kind: 'error', text: describeError(e) });
    } finally {
      setBusy(false);
    }
  }

  function sendReply() {
    const body = reply.trim();
    if (!body) return setOutcome({ kind: 'error', text: 'Write something to send.' });
    void act(
      'messages',
      { body, internal, ...(nextStatus ? { next_status: nextStatus } : {}) },
      internal ? 'Internal note added.' : 'Reply sent.',
      () => setReply(''),
    );
  }

  const assignToMe = () => void act('assign', { assignee: me.sub }, `Assigned to ${me.sub}.`);

  useEffect(() => {
    function onKey(event: KeyboardEvent) {
      const target = event.target as HTMLElement;
      const typing = /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey) && target === replyRef.current) {
        event.preventDefault();
        sendReply();
        return;
      }
      if (event.key === 'Escape' && typing) return target.blur();
      if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
      const handlers: Record<string, () => void> = {
        r: () => {
          setInternal(false);
          replyRef.current?.focus();
        },
        n: () => {
          setInternal(true);
          replyRef.current?.focus();
        },
        d: () => {
          if (ticket?.draft?.body) setReply(ticket.draft.body);
          replyRef.current?.focus();
        },
        a: assignToMe,
        e: () => escalateRef.current?.focus(),
        s: () => resolveRef.current?.focus(),
        u: () => navigate('/'),
        '?': () => setShowHelp((v) => !v),
      };
      const handler = handlers[event.key];
      if (handler) {
        event.preventDefault();
        handler();
      }
    }
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });

  if (!ticket) {
    return loadError ? (
      <Alert kind="error">{loadError}</Alert>
    ) : (
      <p className="loading">Loading the ticket…</p>
    );
  }

  const citedIds = new Set(
    (ticket.draft?.citations ?? []).map((c) =>
      typeof c === 'string'
        ? c
        : String((c as Record<string, unknown>).chunk_id ?? (c as Record<string, unknown>).chunkId ?? ''),
    ),
  );
  const cited = (ticket.draft?.passages ?? []).filter((p) => citedIds.has(passageId(p)));
  const done = ticket.status === 'closed';

  return (
    <article className="ticket" aria-labelledby="ticket-title">
      <div className="page-head">
        <div>
          <p className="muted small">
            <a
              href="/console/"
              onClick={(e) => {
                e.preventDefault();
                navigate('/');
              }}
            >
              ← Queue
            </a>{' '}
            · #{ticket.id.slice(0, 8)} · created {dateTime(ticket.created_at)} · via {ticket.source}
          </p>
          <h1 id="ticket-title">{ticket.title}</h1>
          <p className="facts">
            <Badge kind="status" value={ticket.status} /> <Badge kind="priority" value={ticket.priority} />{' '}
            <span>tier {label(ticket.customer_tier)}</span> · <span>category {label(ticket.category)}</span> ·{' '}
            <span>assignee {ticket.assignee ?? 'none'}</span>
            {ticket.escalation_level > 0 ? <span> · escalation level {ticket.escalation_level}</span> : null}
          </p>
        </div>
        <button
          type="button"
          className="link"
          onClick={() => setShowHelp((v) => !v)}
          aria-expanded={showHelp}
        >
          Keyboard shortcuts (?)
        </button>
      </div>
      {showHelp ? (
        <Section title="Keyboard shortcuts">
          <dl className="shortcuts">
            {SHORTCUTS.map(([key, what]) => (
              <div key={key}>
                <dt>
                  <kbd>{key}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </Section>
      ) : null}
      <div aria-live="polite" data-testid="outcome">
        {outcome ? <Alert kind={outcome.kind === 'ok' ? 'ok' : 'error'}>{outcome.text}</Alert> : null}
      </div>
      {loadError ? <Alert kind="error">{loadError}</Alert> : null}

      <div className="columns">
        <div className="col-main">
          <Section title="Conversation">
            <ol className="thread">
              <li className="msg msg-customer">
                <div className="msg-head">
                  <strong>{ticket.requester_email ?? 'Customer'}</strong> · {dateTime(ticket.created_at)}
                </div>
                <p className="msg-body">{ticket.content}</p>
              </li>
              {ticket.messages.map((m) => (
                <li key={m.id} className={`msg msg-${m.author_type}${m.is_public ? '' : ' msg-internal'}`}>
                  <div className="msg-head">
                    <strong>{m.author_id ?? m.author_type}</strong> ({m.author_type}
                    {m.is_public ? '' : ', internal note'}) · {dateTime(m.created_at)}
                  </div>
                  <p className="msg-body">{m.body}</p>
                </li>
              ))}
            </ol>
          </Section>

          <Section title={internal ? 'Internal note' : 'Reply'} id="composer">
            <form
              onSubmit={(e) => {
                e.preventDefault();
                sendReply();
              }}
            >
              <label htmlFor="reply-body">
                {internal ? 'Internal note (not sent to the customer)' : 'Reply to the customer'}
              </label>
              <textarea
                id="reply-body"
                ref={replyRef}
                rows={8}
                value={reply}
                onChange={(e) => setReply(e.target.value)}
                disabled={done}
              />
              <div className="row">
                <label className="check">
                  <input type="checkbox" checked={internal} onChange={(e) => setInternal(e.target.checked)} />
                  Internal note
                </label>
                <label>
                  Then set status
                  <select value={nextStatus} onChange={(e) => setNextStatus(e.target.value)}>
                    <option value="">unchanged</option>
                    <option value="pending_customer">pending customer</option>
                    <option value="pending_vendor">pending vendor</option>
                    <option value="in_progress">in progress</option>
                  </select>
                </label>
                {ticket.draft?.body ? (
                  <button type="button" className="secondary" onClick={() => setReply(ticket.draft!.body)}>
                    Use AI draft
                  </button>
                ) : null}
                <button type="submit" disabled={busy || done}>
                  {internal ? 'Add note' : 'Send reply'}
                </button>
              </div>
            </form>
          </Section>

          <Section title="Actions">
            <div className="actions">
              <FieldAction
                id="assignee"
                label="Assign to"
                button="Assign"
                value={assignee}
                placeholder={me.sub}
                onChange={setAssignee}
                busy={busy}
                onSubmit={() =>
                  void act(
                    'assign',
                    { assignee: assignee.trim() || me.sub },
                    `Assigned to ${assignee.trim() || me.sub}.`,
                  )
                }
              />
              <FieldAction
                id="escalate-reason"
                label="Escalation reason"
                button="Escalate"
                inputRef={escalateRef}
                value={escalateReason}
                onChange={setEscalateReason}
                busy={busy}
                onSubmit={() => {
                  if (!escalateReason.trim())
                    return setOutcome({ kind: 'error', text: 'Give a reason to escalate.' });
                  void act('escalate', { reason: escalateReason.trim() }, 'Escalated.', () =>
                    setEscalateReason(''),
                  );
                }}
              />
              <FieldAction
                id="resolution"
                label="Resolution"
                button="Resolve"
                inputRef={resolveRef}
                value={resolution}
                onChange={setResolution}
                busy={busy}
                onSubmit={() =>
                  void act(
                    'resolve',
                    resolution.trim() ? { resolution: resolution.trim() } : {},
                    'Resolved.',
                    () => setResolution(''),
                  )
                }
              />
              <FieldAction
                id="reopen-reason"
                label="Reopen reason"
                button="Reopen"
                value={reopenReason}
                onChange={setReopenReason}
                busy={busy}
                onSubmit={() =>
                  void act(
                    'reopen',
                    reopenReason.trim() ? { reason: reopenReason.trim() } : {},
                    'Reopened.',
                    () => setReopenReason(''),
                  )
                }
              >
                <button
                  type="button"
                  className="secondary"
                  disabled={busy}
                  onClick={() => void act('close', {}, 'Closed.')}
                >
                  Close
                </button>
              </FieldAction>
            </div>
          </Section>
        </div>

        <div className="col-side">
          <Section title="SLA">
            <table className="clocks" aria-label="SLA clocks">
              <thead>
                <tr>
                  <th scope="col">Clock</th>
                  <th scope="col">State</th>
                  <th scope="col">Deadline</th>
                  <th scope="col">Target</th>
                </tr>
              </thead>
              <tbody>
                {ticket.sla.clocks.map((c) => (
                  <tr key={`${c.clock}-${c.cycle}`}>
                    <th scope="row">
                      {label(c.clock)}
                      {c.cycle > 0 ? ` #${c.cycle + 1}` : ''}
                    </th>
                    <td>
                      <SlaCountdown
                        state={c.state}
                        deadline={c.state === 'met' ? null : c.deadline}
                        remainingSeconds={c.remaining_seconds}
                      />
                    </td>
                    <td>
                      {c.stopped_at
                        ? `stopped ${dateTime(c.stopped_at)}`
                        : c.deadline
                          ? dateTime(c.deadline)
                          : 'paused'}
                    </td>
                    <td>{duration(c.target_seconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {ticket.sla.events.length ? (
              <>
                <h3>Alerts</h3>
                <ul className="plain">
                  {ticket.sla.events.map((e) => (
                    <li key={`${e.clock}-${e.kind}-${e.threshold}-${e.cycle}`}>
                      <span className={`sla sla-${e.kind === 'breach' ? 'breached' : 'at_risk'}`}>
                        {e.kind}
                      </span>{' '}
                      {label(e.clock)} at {dateTime(e.fired_at)} ({label(e.notification_status)})
                    </li>
                  ))}
                </ul>
              </>
            ) : (
              <p className="muted small">No SLA alerts. Overall: {SLA_STATE_TEXT[ticket.sla.state]}.</p>
            )}
          </Section>

          <Section title="AI triage">
            {ticket.triage ? (
              <dl className="facts-list" data-testid="triage">
                <dt>Category</dt>
                <dd>{label(ticket.triage.category)}</dd>
                <dt>Urgency</dt>
                <dd>{label(ticket.triage.urgency)}</dd>
                <dt>Suggested priority</dt>
                <dd>{ticket.triage.suggested_priority}</dd>
                <dt>Sentiment</dt>
                <dd>{ticket.triage.sentiment} / 10</dd>
                <dt>Language</dt>
                <dd>{ticket.triage.language}</dd>
                <dt>Product</dt>
                <dd>{ticket.triage.product ?? '—'}</dd>
                <dt>Confidence</dt>
                <dd>{Math.round(ticket.triage.confidence * 100)}%</dd>
                <dt>Model</dt>
                <dd>{ticket.triage.model_used}</dd>
                <dt>Reasoning</dt>
                <dd>{ticket.triage.reasoning}</dd>
              </dl>
            ) : (
              <p className="muted">
                {ticket.status === 'ai_failed'
                  ? 'Triage failed: work the ticket by hand.'
                  : 'Triage is running…'}
              </p>
            )}
          </Section>

          <Section title="AI draft">
            {ticket.draft ? (
              <>
                <p className="draft" data-testid="draft">
                  {ticket.draft.body}
                </p>
                {cited.length ? (
                  <>
                    <h3 id="sources-heading">Sources</h3>
                    <ol className="sources" aria-labelledby="sources-heading">
                      {cited.map((p) => (
                        <li key={passageId(p)} id={`passage-${passageId(p)}`}>
                          <details>
                            <summary>
                              {String(p.title ?? 'passage')}{' '}
                              {typeof p.score === 'number' ? `(${p.score.toFixed(2)})` : ''}
                            </summary>
                            <p className="small">{String(p.text ?? '')}</p>
                          </details>
                        </li>
                      ))}
                    </ol>
                  </>
                ) : (
                  <p className="muted small">No knowledge-base passage cited.</p>
                )}
              </>
            ) : (
              <p className="muted">No draft yet.</p>
            )}
          </Section>

          <Section title="ITSM">
            {ticket.external_refs.length === 0 && ticket.syncs.length === 0 ? (
              <p className="muted small">Not synced to an ITSM tool.</p>
            ) : null}
            <ul className="plain">
              {ticket.external_refs.map((r) => (
                <li key={`${r.system}-${r.external_id}`}>
                  {r.system}:{' '}
                  {r.external_url ? (
                    <a href={r.external_url} target="_blank" rel="noreferrer noopener">
                      {r.external_id}
                    </a>
                  ) : (
                    r.external_id
                  )}{' '}
                  {r.external_status ? `(${r.external_status})` : ''}
                </li>
              ))}
            </ul>
            {ticket.syncs.length ? (
              <ul className="plain small">
                {ticket.syncs.map((s, i) => (
                  <li key={i}>
                    <span className={`badge sync-${s.status}`}>{s.status}</span> {s.operation} · {s.attempts}{' '}
                    attempt
                    {s.attempts === 1 ? '' : 's'} · {dateTime(s.at)}
                    {s.error ? ` · ${s.error}` : ''}
                  </li>
                ))}
              </ul>
            ) : null}
          </Section>

          <Section title="Timeline">
            <ol className="timeline" data-testid="timeline">
              {events.map((e) => (
                <li key={e.id}>
                  <div>
                    <strong>{label(e.action)}</strong>
                    {e.from_status !== e.to_status
                      ? ` · ${label(e.from_status)} → ${label(e.to_status)}`
                      : ''}
                  </div>
                  <div className="muted small">
                    {e.actor_type} {e.actor_id} · {dateTime(e.created_at)}
                  </div>
                  {Object.keys(e.details).length ? (
                    <div className="small">
                      {Object.entries(e.details)
                        .map(([k, v]) => `${label(k)}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
                        .join(' · ')}
                    </div>
                  ) : null}
                </li>
              ))}
            </ol>
            {eventsCursor ? (
              <button type="button" className="secondary" onClick={() => void moreEvents()}>
                Load more events
              </button>
            ) : null}
          </Section>
        </div>
      </div>
    </article>
  );
}

/** An action with one text field: its label, the field, the submit button and any further buttons. */
function FieldAction(props: {
  id: string;
  label: string;
  button: string;
  value: string;
  onChange(value: string): void;
  onSubmit(): void;
  busy: boolean;
  inputRef?: Ref<HTMLInputElement>;
  placeholder?: string;
  children?: ReactNode;
}) {
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit();
      }}
    >
      <label htmlFor={props.id}>{props.label}</label>
      <div className="row">
        <input
          id={props.id}
          ref={props.inputRef}
          value={props.value}
          placeholder={props.placeholder}
          onChange={(e) => props.onChange(e.target.value)}
        />
        <button type="submit" disabled={props.busy}>
          {props.button}
        </button>
        {props.children}
      </div>
    </form>
  );
}
