/** The tenant's SLA policy: targets, tier multipliers, thresholds, pauses, business calendar and escalation. */
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../../api';
import { Alert, Section } from '../../components';
import { PRIORITIES } from '../../format';
import { ErrorBox } from './shared';

interface Policy {
  targets: Record<
    string,
    { first_response_seconds: number; resolution_seconds: number; next_reply_seconds?: number }
  >;
  tier_multipliers: Record<string, number>;
  warning_thresholds: number[];
  pause_statuses: string[];
  calendar: unknown;
  resolution_on_reopen: 'resume' | 'restart';
  escalation: {
    raise_priority: boolean;
    escalation_level: number | null;
    reassign_to: string | null;
    notify: boolean;
  };
}

const CLOCKS = [
  ['first_response_seconds', 'First response'],
  ['resolution_seconds', 'Resolution'],
  ['next_reply_seconds', 'Next reply'],
] as const;

const minutes = (s: number | undefined) => (s === undefined ? '' : String(Math.round((s / 60) * 100) / 100));

export function SlaPolicyPage() {
  const [policy, setPolicy] = useState<Policy | null>(null);
  const [thresholds, setThresholds] = useState('');
  const [calendar, setCalendar] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [apply, setApply] = useState<string | null>(null);

  function load(p: Policy) {
    setPolicy(p);
    setThresholds(p.warning_thresholds.join(', '));
    setCalendar(p.calendar ? JSON.stringify(p.calendar, null, 2) : '');
  }

  useEffect(() => {
    api<Policy>('GET', '/v1/sla-policy').then(load, setError);
  }, []);

  if (!policy) return error ? <ErrorBox error={error} /> : <p className="loading">Loading the policy…</p>;

  const setTarget = (priority: string, key: string, value: string) => {
    const target = { ...policy.targets[priority]! } as Record<string, number | undefined>;
    if (value === '') delete target[key];
    else target[key] = Math.round(Number(value) * 60);
    setPolicy({ ...policy, targets: { ...policy.targets, [priority]: target as Policy['targets'][string] } });
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setSaved(null);
    let parsedCalendar: unknown = null;
    if (calendar.trim()) {
      try {
        parsedCalendar = JSON.parse(calendar);
      } catch {
        setError(new Error('The business calendar is not valid JSON.'));
        return;
      }
    }
    const body = {
      ...policy!,
      warning_thresholds: thresholds
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean)
        .map(Number),
      calendar: parsedCalendar,
    };
    try {
      load(await api<Policy>('PUT', '/v1/sla-policy', body));
      setSaved('Saved. New tickets use it; apply it to open tickets below.');
    } catch (e) {
      setError(e);
    }
  }

  async function applyToOpen() {
    setApply('Starting…');
    try {
      const started = await api<{ status_url: string }>('POST', '/v1/sla-policy/apply');
      for (;;) {
        const p = await api<{
          state: string;
          total: number;
          applied: number;
          skipped: number;
          failed: number;
        }>('GET', started.status_url);
        setApply(`${p.state}: ${p.applied} applied, ${p.skipped} skipped, ${p.failed} failed of ${p.total}`);
        if (p.state === 'completed') break;
        await new Promise((r) => setTimeout(r, 1000));
      }
    } catch (e) {
      setApply(null);
      setError(e);
    }
  }

  return (
    <div>
      <h1>SLA policy</h1>
      <form onSubmit={save} noValidate>
        <Section title="Targets (minutes)">
          <table aria-label="Targets in minutes">
            <thead>
              <tr>
                <th scope="col">Priority</th>
                {CLOCKS.map(([, name]) => (
                  <th scope="col" key={name}>
                    {name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {PRIORITIES.map((p) => (
                <tr key={p}>
                  <th scope="row">{p}</th>
                  {CLOCKS.map(([key, name]) => (
                    <td key={key}>
                      <input
                        type="number"
                        step="any"
                        aria-label={`${p} ${name.toLowerCase()} minutes`}
                        value={minutes(policy.targets[p]?.[key])}
                        placeholder={key === 'next_reply_seconds' ? 'none' : ''}
                        onChange={(e) => setTarget(p, key, e.target.value)}
                      />
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </Section>
        <Section title="Tiers, warnings and pauses">
          <div className="form-grid">
            {Object.entries(policy.tier_multipliers).map(([tier, m]) => (
              <label key={tier}>
                {tier.replace(/_/g, ' ')} multiplier
                <input
                  type="number"
                  step="any"
                  value={m}
                  onChange={(e) =>
                    setPolicy({
                      ...policy,
                      tier_multipliers: { ...policy.tier_multipliers, [tier]: Number(e.target.value) },
                    })
                  }
                />
              </label>
            ))}
            <label>
              Warning thresholds (fractions elapsed)
              <input value={thresholds} onChange={(e) => setThresholds(e.target.value)} />
            </label>
            <label>
              On reopen, the resolution clock
              <select
                value={policy.resolution_on_reopen}
                onChange={(e) =>
                  setPolicy({
                    ...policy,
                    resolution_on_reopen: e.target.value as Policy['resolution_on_reopen'],
                  })
                }
              >
                <option value="resume">resumes</option>
                <option value="restart">restarts</option>
              </select>
            </label>
            {['pending_customer', 'pending_vendor'].map((s) => (
              <label className="check" key={s}>
                <input
                  type="checkbox"
                  checked={policy.pause_statuses.includes(s)}
                  onChange={(e) =>
                    setPolicy({
                      ...policy,
                      pause_statuses: e.target.checked
                        ? [...policy.pause_statuses, s]
                        : policy.pause_statuses.filter((x) => x !== s),
                    })
                  }
                />
                Pause while {s.replace('_', ' ')}
              </label>
            ))}
          </div>
        </Section>
        <Section title="On breach">
          <div className="form-grid">
            <label className="check">
              <input
                type="checkbox"
                checked={policy.escalation.raise_priority}
                onChange={(e) =>
                  setPolicy({
                    ...policy,
                    escalation: { ...policy.escalation, raise_priority: e.target.checked },
                  })
                }
              />
              Raise the priority
            </label>
            <label className="check">
              <input
                type="checkbox"
                checked={policy.escalation.notify}
                onChange={(e) =>
                  setPolicy({ ...policy, escalation: { ...policy.escalation, notify: e.target.checked } })
                }
              />
              Notify the targets
            </label>
            <label>
              Escalation level
              <input
                type="number"
                value={policy.escalation.escalation_level ?? ''}
                onChange={(e) =>
                  setPolicy({
                    ...policy,
                    escalation: {
                      ...policy.escalation,
                      escalation_level: e.target.value === '' ? null : Number(e.target.value),
                    },
                  })
                }
              />
            </label>
            <label>
              Reassign to
              <input
                value={policy.escalation.reassign_to ?? ''}
                onChange={(e) =>
                  setPolicy({
                    ...policy,
                    escalation: { ...policy.escalation, reassign_to: e.target.value.trim() || null },
                  })
                }
              />
            </label>
          </div>
        </Section>
        <Section title="Business calendar">
          <label htmlFor="calendar">
            Calendar as JSON (empty: around the clock), e.g.{' '}
            {'{"timezone":"Europe/Berlin","weekly":{"mon":[["09:00","17:00"]]}}'}
          </label>
          <textarea
            id="calendar"
            rows={6}
            value={calendar}
            onChange={(e) => setCalendar(e.target.value)}
            spellCheck={false}
          />
        </Section>
        <ErrorBox error={error} />
        {saved ? <Alert kind="ok">{saved}</Alert> : null}
        <div className="row">
          <button type="submit">Save policy</button>
          <button type="button" className="secondary" onClick={() => void applyToOpen()}>
            Apply to open tickets
          </button>
        </div>
        {apply ? <Alert kind="info">{apply}</Alert> : null}
      </form>
    </div>
  );
}
