/** Formatting shared by the pages. */
import type { SlaState } from './api';

export function duration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  let s = Math.abs(Math.round(seconds));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (d > 0) return `${sign}${d}d ${pad(h)}h`;
  if (h > 0) return `${sign}${h}h ${pad(m)}m`;
  return `${sign}${m}m ${pad(s)}s`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function label(value: string | null | undefined): string {
  if (!value) return '—';
  return value.replace(/_/g, ' ');
}

export const SLA_STATE_TEXT: Record<SlaState, string> = {
  on_track: 'on track',
  at_risk: 'at risk',
  breached: 'breached',
  met: 'met',
  paused: 'paused',
};

export const STATUSES = [
  'new',
  'triaging',
  'open',
  'ai_failed',
  'in_progress',
  'pending_customer',
  'pending_vendor',
  'escalated',
  'resolved',
  'closed',
] as const;
export const PRIORITIES = ['low', 'medium', 'high', 'critical'] as const;
export const SLA_STATES: SlaState[] = ['on_track', 'at_risk', 'breached', 'met', 'paused'];
export const OPEN_STATUSES = STATUSES.filter((s) => s !== 'resolved' && s !== 'closed');
