/**
 * Orderly stop of a process: resources register a stop step as they come up; the first SIGINT, SIGTERM or SIGHUP
 * runs the steps in reverse order (the API stops taking requests and finishes those in flight, the worker drains,
 * then connections, the dev server and the embedded database), once, and exits 0 (1 if a step failed). Another
 * signal more than 3 s later, while stopping, exits at once with 130.
 */
import type { Logger } from './logger';

export interface Lifecycle {
  /** Registers a stop step; steps run last-registered first. */
  onStop(name: string, step: () => Promise<unknown> | unknown): void;
  /** Runs the stop steps (also what a signal does) and exits. */
  shutdown(reason: string, exitCode?: number): Promise<never>;
}

export function createLifecycle(logger: Logger, exit: (code: number) => never = process.exit): Lifecycle {
  const steps: Array<{ name: string; step: () => Promise<unknown> | unknown }> = [];
  let stopping: Promise<never> | undefined;

  async function run(reason: string, exitCode: number): Promise<never> {
    logger.info({ reason }, 'shutting down');
    const started = Date.now();
    let failed = false;
    for (const { name, step } of steps.reverse()) {
      try {
        await step();
        logger.debug({ step: name }, 'stopped');
      } catch (error) {
        failed = true;
        logger.error({ step: name, err: error }, 'stop step failed');
      }
    }
    logger.info({ ms: Date.now() - started }, 'stopped');
    logger.flush?.();
    return exit(failed && exitCode === 0 ? 1 : exitCode);
  }

  const lifecycle: Lifecycle = {
    onStop(name, step) {
      steps.push({ name, step });
    },
    shutdown(reason, exitCode = 0) {
      stopping ??= run(reason, exitCode);
      return stopping;
    },
  };
  let firstSignalAt = 0;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      // A Ctrl-C reaches this process twice: from the terminal and forwarded by npm. Only a later one forces.
      if (stopping && Date.now() - firstSignalAt < 3000) return;
      if (stopping) {
        logger.warn({ signal }, 'second signal while stopping: exiting now');
        exit(130);
      }
      firstSignalAt = Date.now();
      void lifecycle.shutdown(signal);
    });
  }
  return lifecycle;
}
