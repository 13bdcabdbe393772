/** The worker part of a process (src/main.ts, src/worker/main.ts), put together as src/platform/startup.ts says. */
import type { Databases } from '../stores/db';
import type { AiStack } from '../connectors/ai/stack';
import { createOutboundPolicy } from '../platform/net/outbound-policy';
import type { ProcessContext, ProcessKeys } from '../platform/startup';
import { ensureSearchAttributes } from '../platform/temporal-server';
import type { NativeConnection } from '@temporalio/worker';
import type { IntakePressure } from '../platform/intake-pressure';
import { createWorker, defaultActivityDeps, installRuntime } from '.';
import { setWorkflowStackTraces } from './workflow-stack-traces';

/**
 * Warms up the models and makes sure the search attributes exist, then runs a worker on the task queue. A worker
 * that fails stops the process (exit 1); the stop step lets it finish the tasks in flight. Answers the worker's
 * connection: an API in the same process starts workflows through it, eagerly (see src/main.ts).
 */
export async function startWorkerRuntime(
  { config, logger, lifecycle }: ProcessContext,
  options: {
    dbs: Databases;
    ai: AiStack;
    keys: ProcessKeys;
    temporalAddress: string;
    /** The Temporal UI that notifications link to (the dev server's with `npm start`). */
    temporalUiUrl: string | undefined;
    /** The creates of an API in the same process, which the worker gives way to (`npm start`). */
    intakePressure?: IntakePressure;
  },
): Promise<{ connection: NativeConnection }> {
  const { dbs, ai, keys, temporalAddress } = options;
  await Promise.all([
    ai.warmUp(),
    ensureSearchAttributes(temporalAddress, config.temporal.namespace, logger),
  ]);
  installRuntime(logger, { metricsBindAddress: config.temporal.metricsAddress });
  const stackTraces = setWorkflowStackTraces(config.temporal.workflowStackTraces, logger);
  logger.info({ workflowStackTraces: stackTraces ? 'on' : 'off' }, 'workflow threads');
  const { worker, connection } = await createWorker({
    address: temporalAddress,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    slots: config.temporal.slots,
    intakePressure: options.intakePressure,
    maxCachedWorkflows: config.temporal.maxCachedWorkflows,
    payloadKeys: keys.payloadKeys,
    deps: defaultActivityDeps({
      dbs,
      ai,
      logger,
      secrets: keys.secrets,
      itsmTimeoutMs: config.itsmTimeoutMs,
      outbound: createOutboundPolicy({ allow: config.outbound.allowNetworks }),
      openai: config.openai,
      links: {
        publicUrl: config.publicUrl,
        temporalUiUrl: options.temporalUiUrl,
        namespace: config.temporal.namespace,
      },
    }),
  });
  lifecycle.onStop('worker connection', () => connection.close());
  const run = worker.run();
  run.catch((error: unknown) => {
    logger.error({ err: error }, 'worker failed');
    void lifecycle.shutdown('worker failed', 1);
  });
  lifecycle.onStop('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    // A worker that fails, even while draining, fails this step too: the exit code is then 1.
    await run;
  });
  return { connection };
}
