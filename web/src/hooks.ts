import { useEffect, useRef, useState } from 'react';

/** The current time, refreshed every `intervalMs`: drives the live SLA countdowns. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
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
