/**
 * CPU time spent by the processes of a benchmark, read from /proc (Linux): the product's process thread by thread
 * (its JavaScript main thread, the workflow thread, the Temporal core's Rust threads, libuv's pool), the Temporal
 * dev server, and the PostgreSQL backends connected to the benchmark's database. Two snapshots give the CPU
 * seconds each spent in between: where a 2-core machine's cycles went.
 */
import fs from 'node:fs';

const TICKS = 100; // USER_HZ: clock ticks per second in /proc/*/stat on Linux

/** utime + stime of a /proc stat line, in seconds. */
function statSeconds(stat: string): number {
  // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the process or thread ended meanwhile
  }
}

/**
 * Thread names Node and the Temporal core give their threads, as groups a reader recognises. Node names its
 * worker threads (the SDK runs workflow code in one) and V8's helper threads all `node`: they are one group.
 */
function threadGroup(comm: string, isMain: boolean): string {
  if (isMain) return 'product: JS main thread (API, activities, SDK glue)';
  if (/^libuv-worker/.test(comm)) return 'product: libuv pool (crypto, dns, fs)';
  // Node names its worker threads as its main thread: the SDK's workflow thread is among these.
  if (/^V8 /.test(comm) || /^node$/.test(comm))
    return 'product: workflow thread (worker_threads) + V8 helpers';
  if (/tokio|temporal|core/i.test(comm)) return `product: Temporal core (Rust, ${comm})`;
  return `product: thread ${comm}`;
}

export type CpuSnapshot = Map<string, number>;

/** Every process whose command line contains `needle`, as pids. */
export function pidsWhere(match: (cmdline: string) => boolean): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = read(`/proc/${entry}/cmdline`)?.replace(/\0/g, ' ');
    if (cmdline && match(cmdline)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * CPU seconds so far: the product process's threads by group, the worker threads of Node (named after their
 * scripts are not: Node calls them all `node`, so the workflow thread is counted with V8's), the Temporal server,
 * and PostgreSQL backends whose title names `database`.
 */
export function cpuSnapshot(options: {
  productPid: number;
  temporalPids: number[];
  database: string;
  /** This process (the benchmark's driver and, in the same process, the floor's worker). */
  benchPid?: number;
  /** PostgreSQL backends of the benchmark's own queries (its progress polls): counted apart. */
  benchBackendPids?: number[];
}): CpuSnapshot {
  const out: CpuSnapshot = new Map();
  const add = (k: string, v: number) => out.set(k, (out.get(k) ?? 0) + v);
  for (const tid of fs.readdirSync(`/proc/${options.productPid}/task`)) {
    const stat = read(`/proc/${options.productPid}/task/${tid}/stat`);
    const comm = read(`/proc/${options.productPid}/task/${tid}/comm`)?.trim() ?? '?';
    if (stat) add(threadGroup(comm, Number(tid) === options.productPid), statSeconds(stat));
  }
  for (const pid of options.temporalPids) {
    const stat = read(`/proc/${pid}/stat`);
    if (stat) add('Temporal dev server', statSeconds(stat));
  }
  for (const pid of pidsWhere((c) => c.startsWith('postgres: ') && c.includes(` ${options.database} `))) {
    const stat = read(`/proc/${pid}/stat`);
    const own = options.benchBackendPids?.includes(pid);
    if (stat)
      add(own ? 'PostgreSQL: the bench’s own polls' : 'PostgreSQL backends (product)', statSeconds(stat));
  }
  if (options.benchPid) {
    // The floor's worker and client run here, beside the driver: by thread, as the product's.
    for (const tid of fs.readdirSync(`/proc/${options.benchPid}/task`)) {
      const stat = read(`/proc/${options.benchPid}/task/${tid}/stat`);
      const comm = read(`/proc/${options.benchPid}/task/${tid}/comm`)?.trim() ?? '?';
      const group =
        Number(tid) === options.benchPid
          ? 'JS main thread'
          : threadGroup(comm, false).replace(/^product: /, '');
      if (stat) add(`bench process (driver, floor worker and client): ${group}`, statSeconds(stat));
    }
  }
  return out;
}

/** CPU seconds per group between two snapshots (backends that ended meanwhile are not counted). */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) out[k] = Math.max(0, v - (before.get(k) ?? 0));
  return out;
}
