/**
 * Pure-CPU model work on worker threads: a fit or a training is seconds of CPU, and on the event loop it would
 * stall the process's workflow tasks and activities meanwhile (every tenant's tickets would wait for one
 * tenant's model). Each kind of work runs one at a time per process (`oneAtATime`), so it never takes more
 * than one core from triage however many tenants ask at once.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A thread running `entry` (a module of this folder, without extension): the compiled entry in a build; in
 * development and tests the .ts source, through tsx's require hook (a thread does not inherit the
 * `--import tsx` loader of the process, nor jest's transform).
 */
function startThread(entry: string, workerData: unknown): Worker {
  const extension = path.extname(__filename);
  const file = path.join(__dirname, `${entry}${extension}`);
  if (extension !== '.ts') return new Worker(file, { workerData });
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData });
}

/** Runs `entry` on a new thread with `workerData`; resolves with the first message it posts. */
export function runOnThread<T>(entry: string, workerData: unknown, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const worker = startThread(entry, workerData);
    worker.once('message', (message: T) => {
      settled = true;
      resolve(message);
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the ${what} thread exited with code ${code} and no result`));
    });
  });
}

/** Wraps work so calls take turns: each starts when the previous one has settled (a failure does not block). */
export function oneAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>) => {
    const turn = queue.then(work);
    queue = turn.catch(() => undefined);
    return turn;
  };
}
