/** A tiny router over the History API: paths under /console/, a hook for the current one, and navigation. */
import { useSyncExternalStore } from 'react';

export const BASE = '/console';

function subscribe(notify: () => void): () => void {
  window.addEventListener('popstate', notify);
  return () => window.removeEventListener('popstate', notify);
}

const current = () => window.location.pathname + window.location.search;

/** The path inside the console (`/`, `/tickets/<id>`, `/admin/sla`) and its query string. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const full = useSyncExternalStore(subscribe, current);
  const url = new URL(full, window.location.origin);
  const path = url.pathname.startsWith(BASE) ? url.pathname.slice(BASE.length) || '/' : '/';
  return { path, query: url.searchParams };
}

export function href(path: string): string {
  return `${BASE}${path}`;
}

export function navigate(path: string, replace = false): void {
  const target = href(path);
  if (target === current()) return;
  if (replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  window.dispatchEvent(new PopStateEvent('popstate'));
}
