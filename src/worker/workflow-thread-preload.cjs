'use strict';
/**
 * Preloaded into every thread of a worker process (`node --require ./src/worker/workflow-thread-preload.cjs`;
 * plain CommonJS because worker threads load `--require` files before any TypeScript loader is ready).
 *
 * The Temporal SDK records, for every promise workflow code creates, the stack where it was created: it is what the
 * `__stack_trace` query (the Temporal UI's "Stack Trace" tab) answers with. It costs a captured and formatted stack
 * per promise, about a quarter of the workflow thread's CPU on a triaged ticket (README, "Levers"). The SDK has no
 * option for it; it goes without when `v8.promiseHooks.createHook` fails (as on Bun), and the query then answers
 * that stack traces are not enabled on this worker. With WORKFLOW_STACK_TRACES=off in a worker thread's
 * environment (src/worker/workflow-stack-traces.ts sets it from the configuration before the workflow threads
 * start), the SDK's own call fails there. Every other caller is served as before: Node's AsyncLocalStorage, which
 * the SDK's cancellation scopes run on, creates its promise hook through the same function.
 */
const v8 = require('node:v8');
const { isMainThread } = require('node:worker_threads');

/** Where the Temporal worker's workflow-thread code lives (vm-shared.js installs the hook). */
const TEMPORAL_WORKFLOW_RUNTIME = /[\\/]@temporalio[\\/]worker[\\/]lib[\\/]workflow[\\/]/;

/** The file of the function that called `fn`. */
function callerFile(fn) {
  const saved = Error.prepareStackTrace;
  Error.prepareStackTrace = (_error, callsites) => callsites;
  try {
    const holder = {};
    Error.captureStackTrace(holder, fn);
    const callsites = holder.stack;
    return (Array.isArray(callsites) && callsites[0] && callsites[0].getFileName()) || '';
  } finally {
    Error.prepareStackTrace = saved;
  }
}

if (isMainThread) {
  // Lets the worker tell whether the setting can take effect in this process.
  globalThis[Symbol.for('support-triage.workflow-thread-preload')] = true;
} else if (process.env.WORKFLOW_STACK_TRACES === 'off') {
  const createHook = v8.promiseHooks.createHook;
  v8.promiseHooks.createHook = function createHookUnlessTemporal(hooks) {
    if (TEMPORAL_WORKFLOW_RUNTIME.test(callerFile(createHookUnlessTemporal))) {
      throw new Error('workflow stack traces are off (WORKFLOW_STACK_TRACES=off)');
    }
    return createHook.call(this, hooks);
  };
}
