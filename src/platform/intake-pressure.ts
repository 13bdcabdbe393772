/**
 * The API's ticket creates in flight, when the API and the worker share one process (`npm start`): the API counts
 * them, the worker's workflow-task slots give way to them (src/worker/intake-first-slots.ts).
 */
export class IntakePressure {
  private count = 0;
  private readonly reliefListeners = new Set<() => void>();

  get inFlight(): number {
    return this.count;
  }

  /** Counts one create in flight; the returned function ends it (once: later calls do nothing). */
  enter(): () => void {
    this.count += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.count -= 1;
      for (const listener of this.reliefListeners) listener();
    };
  }

  /** Called each time a create ends; answers a function that stops the calls. */
  onRelief(listener: () => void): () => void {
    this.reliefListeners.add(listener);
    return () => this.reliefListeners.delete(listener);
  }
}
