import { useEffect, useRef, useSyncExternalStore } from 'react';

/** One shared one-second ticker for every countdown on the page (one timer, however many rows). */
const listeners = new Set<() => void>();
let now = Date.now();
let ticker: number | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (ticker === undefined) {
    now = Date.now();
    ticker = window.setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      window.clearInterval(ticker);
      ticker = undefined;
    }
  };
}

/** The current time, refreshed every second: drives the live SLA countdowns. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now);
}

/**
 * Runs `load` now and every `intervalMs` while the page is visible; a load never overlaps the previous one.
 * `load` is read through a ref, so callers may pass a fresh closure on every render.
 */
export function usePolling(load: () => Promise<void>, intervalMs: number, deps: unknown[]): void {
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let stopped = false;
    let timer: number | undefined;
    const tick = async () => {
      if (!document.hidden) await latest.current().catch(() => undefined);
      if (!stopped) timer = window.setTimeout(tick, intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  }, deps);
}
