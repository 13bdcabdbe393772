/**
 * Workflow stack traces on or off for the workflow threads this process is about to start (configuration
 * `temporal.workflowStackTraces`). The switch itself is workflow-thread-preload.cjs, loaded into every thread by
 * `node --require`; a worker thread reads the setting from its environment, which it copies from this process's
 * when it starts. So this sets it before Worker.create starts the threads.
 */
import type { Logger } from '../platform/logger';

/** Relative to the project root, as the entry points' command lines name it. */
export const WORKFLOW_THREAD_PRELOAD = 'src/worker/workflow-thread-preload.cjs';

const PRELOAD_MARK = Symbol.for('support-triage.workflow-thread-preload');

/** Whether this process was started with the preload. */
export function workflowThreadPreloaded(): boolean {
  return (globalThis as Record<symbol, unknown>)[PRELOAD_MARK] === true;
}

/** Answers whether the workflow threads started from now on record stack traces. */
export function setWorkflowStackTraces(wanted: boolean, logger: Logger): boolean {
  process.env.WORKFLOW_STACK_TRACES = wanted ? 'on' : 'off';
  if (wanted) return true;
  if (!workflowThreadPreloaded()) {
    logger.warn(
      `WORKFLOW_STACK_TRACES=off takes effect only when node starts with --require ./${WORKFLOW_THREAD_PRELOAD}: workflow stack traces stay on`,
    );
    return true;
  }
  return false;
}
