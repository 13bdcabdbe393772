/** The SLA report: compliance by priority and by tier over a period, as a chart and as a table. */
import { type FormEvent, useEffect, useState } from 'react';
import { api } from '../../api';
import { Section } from '../../components';
import { duration } from '../../format';
import { ErrorBox } from './shared';

interface Row {
  key: string;
  tickets: number;
  met: number;
  breached: number;
  compliance_pct: number | null;
  first_response_seconds: { median: number | null; p90: number | null };
  resolution_seconds: { median: number | null; p90: number | null };
  at_risk: number;
}

interface Report {
  from: string;
  to: string;
  by_priority: Row[];
  by_tier: Row[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** Met and breached clocks per group as horizontal stacked bars (SVG, no chart library). */
function Chart(props: { rows: Row[]; title: string }) {
  const max = Math.max(1, ...props.rows.map((r) => r.met + r.breached));
  const barH = 26;
  const labelW = 150;
  const width = 640;
  const scale = (n: number) => ((width - labelW - 90) * n) / max;
  return (
    <svg
      className="chart"
      viewBox={`0 0 ${width} ${props.rows.length * (barH + 10) + 10}`}
      role="img"
      aria-label={`${props.title}: met and breached SLA clocks`}
    >
      {props.rows.map((r, i) => {
        const y = 10 + i * (barH + 10);
        return (
          <g key={r.key}>
            <text x={0} y={y + barH * 0.7} fontSize="13" fill="#1b1f24">
              {r.key.replace(/_/g, ' ')}
            </text>
            <rect x={labelW} y={y} width={scale(r.met)} height={barH} fill="#2e7d4f" />
            <rect x={labelW + scale(r.met)} y={y} width={scale(r.breached)} height={barH} fill="#c0392b" />
            <text x={labelW + scale(r.met + r.breached) + 6} y={y + barH * 0.7} fontSize="13" fill="#1b1f24">
              {r.compliance_pct === null ? 'no data' : `${r.compliance_pct}%`}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function Table(props: { rows: Row[]; title: string }) {
  const d = (s: number | null) => (s === null ? '—' : duration(s));
  return (
    <table aria-label={props.title}>
      <thead>
        <tr>
          <th scope="col">Group</th>
          <th scope="col">Tickets</th>
          <th scope="col">Met</th>
          <th scope="col">Breached</th>
          <th scope="col">At risk</th>
          <th scope="col">Compliance</th>
          <th scope="col">First response median / p90</th>
          <th scope="col">Resolution median / p90</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.key.replace(/_/g, ' ')}</th>
            <td>{r.tickets}</td>
            <td>{r.met}</td>
            <td>{r.breached}</td>
            <td>{r.at_risk}</td>
            <td>{r.compliance_pct === null ? '—' : `${r.compliance_pct}%`}</td>
            <td>
              {d(r.first_response_seconds.median)} / {d(r.first_response_seconds.p90)}
            </td>
            <td>
              {d(r.resolution_seconds.median)} / {d(r.resolution_seconds.p90)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function ReportPage() {
  const [from, setFrom] = useState(() => day(new Date(Date.now() - 30 * 86400_000)));
  const [to, setTo] = useState(() => day(new Date(Date.now() + 86400_000)));
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function load(event?: FormEvent) {
    event?.preventDefault();
    setError(null);
    try {
      const q = new URLSearchParams({ from: `${from}T00:00:00Z`, to: `${to}T00:00:00Z` });
      setReport(await api<Report>('GET', `/v1/reports/sla?${q.toString()}`));
    } catch (e) {
      setError(e);
    }
  }

  useEffect(() => {
    void load();
    // Loads the default period once; the form reloads on demand.
  }, []);

  return (
    <div>
      <h1>SLA report</h1>
      <form className="filters" onSubmit={load} aria-label="Period">
        <label>
          From
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="submit">Show</button>
      </form>
      <ErrorBox error={error} />
      {report ? (
        <>
          <Section title="By priority">
            <Chart rows={report.by_priority} title="By priority" />
            <Table rows={report.by_priority} title="By priority" />
          </Section>
          <Section title="By customer tier">
            <Chart rows={report.by_tier} title="By customer tier" />
            <Table rows={report.by_tier} title="By customer tier" />
          </Section>
          <p className="muted small">Green: clocks met; red: breached. The percentage is compliance.</p>
        </>
      ) : null}
    </div>
  );
}
