import type { ReactNode } from 'react';
import type { SlaState } from './api';
import { SLA_STATE_TEXT, duration } from './format';
import { useNow } from './hooks';

/** Live countdown of a clock: the time left to its deadline, or the frozen remainder while paused. */
export function SlaCountdown(props: {
  state: SlaState;
  deadline: string | null;
  remainingSeconds: number | null;
  clock?: string;
}) {
  const now = useNow();
  let state = props.state;
  let text: string;
  if (props.deadline) {
    const left = (Date.parse(props.deadline) - now) / 1000;
    if (left <= 0) state = 'breached';
    text = left <= 0 ? `${duration(-left)} over` : `${duration(left)} left`;
  } else if (state === 'met') {
    text = 'met';
  } else {
    text = props.remainingSeconds === null ? '' : `${duration(props.remainingSeconds)} left`;
  }
  const clock = props.clock ? `${props.clock.replace(/_/g, ' ')}: ` : '';
  return (
    <span className={`sla sla-${state}`} title={`${clock}${SLA_STATE_TEXT[state]}`}>
      <span className="sla-state">{SLA_STATE_TEXT[state]}</span>
      {text && state !== 'met' ? <span className="sla-time"> · {text}</span> : null}
    </span>
  );
}

export function Badge(props: { kind: string; value: string | null | undefined }) {
  if (!props.value) return <span className="muted">—</span>;
  return <span className={`badge ${props.kind}-${props.value}`}>{props.value.replace(/_/g, ' ')}</span>;
}

export function Alert(props: { kind: 'error' | 'info' | 'ok'; children: ReactNode }) {
  return (
    <div className={`alert alert-${props.kind}`} role={props.kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

export function Section(props: { title: string; children: ReactNode; id?: string; actions?: ReactNode }) {
  const headingId = `${props.id ?? props.title.toLowerCase().replace(/\W+/g, '-')}-heading`;
  return (
    <section className="card" aria-labelledby={headingId} id={props.id}>
      <div className="card-head">
        <h2 id={headingId}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}
