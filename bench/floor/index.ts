/**
 * The bare-Temporal floor the product is measured against, on the product's own Temporal server and PostgreSQL:
 * intake = one INSERT + one workflow start per ticket; triage = a workflow of N do-nothing activities.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, Connection, type WorkflowStartOptions } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import knexFactory from 'knex';
import { WORKFLOW_THREAD_PRELOAD, workflowThreadPreloaded } from '../../src/worker/workflow-stack-traces';
import { floorActivities } from './activities';

/** Start options a floor's workflow may be given besides its type, id, queue and step count. */
export type FloorStartOptions = Pick<
  WorkflowStartOptions,
  'typedSearchAttributes' | 'priority' | 'workflowIdConflictPolicy' | 'workflowIdReusePolicy' | 'memo'
>;

export interface Floor {
  /**
   * `count` INSERT + start pairs, `concurrency` at a time: per second; then until all workflows completed.
   * `startOptions`: more of the start's options (bench/workflow-starts.ts starts as the product does).
   */
  intakeAndComplete(
    kind: 'regular' | 'local',
    steps: number,
    count: number,
    concurrency: number,
    startOptions?: (workflowId: string) => FloorStartOptions,
  ): Promise<{
    intakePerSecond: number;
    completedPerSecond: number;
    /** Milliseconds, summed over the intake: the INSERTs and the workflow starts. */
    insertMs: number;
    startMs: number;
    /** The event loop's delay in this (the floor's) process during the intake: mean and p99, milliseconds. */
    loopDelayMs: { mean: number; p99: number };
  }>;
  /** The workflow ids of the last intakeAndComplete. */
  readonly lastWorkflowIds: string[];
  /** One workflow at a time, start → result: milliseconds each. */
  latencies(kind: 'regular' | 'local', steps: number, count: number): Promise<number[]>;
  stop(): Promise<void>;
}

/**
 * `workflowStackTraces: false` runs the floor's workflow thread as the product runs its own in production: without
 * the SDK's promise hook (src/worker/workflow-thread-preload.cjs, which this process must have been started with:
 * `npm run bench` does). Otherwise the floor is the SDK's defaults.
 */
export async function startFloor(
  temporalAddress: string,
  databaseUrl: string,
  options: { workflowStackTraces: boolean } = { workflowStackTraces: true },
): Promise<Floor> {
  const tuned = !options.workflowStackTraces;
  if (tuned && !workflowThreadPreloaded()) {
    throw new Error(
      `a floor without workflow stack traces needs node --require ./${WORKFLOW_THREAD_PRELOAD}`,
    );
  }
  const taskQueue = `bench-floor-${tuned ? 'tuned-' : ''}${process.pid}`;
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  // A workflow thread reads the setting from the environment it is created with (a copy of this process's).
  const saved = process.env.WORKFLOW_STACK_TRACES;
  process.env.WORKFLOW_STACK_TRACES = tuned ? 'off' : 'on';
  const worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./workflows'),
    activities: floorActivities,
  }).finally(() => {
    if (saved === undefined) delete process.env.WORKFLOW_STACK_TRACES;
    else process.env.WORKFLOW_STACK_TRACES = saved;
  });
  const running = worker.run();
  const connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection });
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 20 } });
  await db.raw(
    'CREATE TABLE IF NOT EXISTS bench_floor_tickets (id uuid PRIMARY KEY, body text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  const workflowType = (kind: 'regular' | 'local') => (kind === 'local' ? 'floorLocal' : 'floorRegular');

  const lastWorkflowIds: string[] = [];
  return {
    lastWorkflowIds,
    async intakeAndComplete(kind, steps, count, concurrency, startOptions) {
      lastWorkflowIds.length = 0;
      const handles: Promise<unknown>[] = [];
      let next = 0;
      let insertMs = 0;
      let startMs = 0;
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const started = performance.now();
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (next < count) {
            next += 1;
            const id = crypto.randomUUID();
            const insertStarted = performance.now();
            await db('bench_floor_tickets').insert({ id, body: 'I was charged twice for my invoice' });
            const startStarted = performance.now();
            insertMs += startStarted - insertStarted;
            const workflowId = `floor-${id}`;
            const handle = await client.workflow.start(workflowType(kind), {
              ...startOptions?.(workflowId),
              workflowId,
              taskQueue,
              args: [steps],
            });
            startMs += performance.now() - startStarted;
            handles.push(handle.result());
            lastWorkflowIds.push(handle.workflowId);
          }
        }),
      );
      const intakeSeconds = (performance.now() - started) / 1000;
      loopDelay.disable();
      await Promise.all(handles);
      const completeSeconds = (performance.now() - started) / 1000;
      return {
        intakePerSecond: count / intakeSeconds,
        completedPerSecond: count / completeSeconds,
        insertMs,
        startMs,
        loopDelayMs: { mean: loopDelay.mean / 1e6, p99: loopDelay.percentile(99) / 1e6 },
      };
    },
    async latencies(kind, steps, count) {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        const started = performance.now();
        await client.workflow.execute(workflowType(kind), {
          workflowId: `floor-latency-${crypto.randomUUID()}`,
          taskQueue,
          args: [steps],
        });
        samples.push(performance.now() - started);
      }
      return samples;
    },
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.destroy();
    },
  };
}
