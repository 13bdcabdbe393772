/**
 * Where a product process's CPU went: a V8 CPU profile (`npm run bench -- --only triage --cpu-prof DIR`), cut to a
 * window of the monotonic clock (the bench prints the throughput phase's as `throughput_window_us`).
 *
 *   npx tsx bench/profile.ts <file.cpuprofile> [startUs endUs] [--top 40] [--inclusive name,name,...]
 *
 * Prints the window's samples by area (self time: the SDK, the database driver, logging, the API, the product's
 * own code, GC, idle), the functions with the most self time, and the inclusive time of named functions.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** The area a frame's code belongs to, by its script's path. */
export function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return 'V8/native (program)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (module) {
    if (module.startsWith('@temporalio/proto') || module === 'protobufjs' || module.startsWith('@protobufjs'))
      return 'Temporal protobuf';
    if (module.startsWith('@temporalio/')) return `Temporal SDK (${module.slice('@temporalio/'.length)})`;
    if (module === 'pg' || module.startsWith('pg-') || module === 'postgres-bytea' || module === 'knex')
      return 'database driver (knex/pg)';
    if (
      module.startsWith('pino') ||
      module === 'sonic-boom' ||
      module === 'fast-redact' ||
      module === 'thread-stream'
    )
      return 'logging (pino)';
    if (module === 'tsx' || module === 'esbuild') return 'tsx loader';
    return `npm: ${module}`;
  }
  if (url.includes('workflow-bundle') || url.includes('/workflows/') || url.startsWith('webpack'))
    return 'workflow code (sandbox)';
  const own = /\/src\/([^/]+)\//.exec(url)?.[1];
  if (own) return `product: src/${own}`;
  if (url.startsWith('node:')) {
    const mod = /^node:(?:internal\/)?([^/]+)/.exec(url)?.[1] ?? url;
    return `node: ${mod}`;
  }
  return 'other';
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '40' }, inclusive: { type: 'string' } },
  });
  const [file, start, end] = positionals;
  if (!file) throw new Error('usage: bench/profile.ts <file.cpuprofile> [startUs endUs]');
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const from = start ? Number(start) : -Infinity;
  const to = end ? Number(end) : Infinity;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (f: CallFrame) =>
    `${f.functionName || '(anonymous)'} ${f.url.replace(/.*node_modules\//, '').replace(/.*\/src\//, 'src/')}:${f.lineNumber + 1}`;
  const wanted = (values.inclusive ?? '').split(',').filter(Boolean);

  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < from || t > to) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    const node = byId.get(profile.samples[i]!)!;
    total += dt;
    self.set(key(node.callFrame), (self.get(key(node.callFrame)) ?? 0) + dt);
    areas.set(area(node.callFrame), (areas.get(area(node.callFrame)) ?? 0) + dt);
    if (wanted.length) {
      const seen = new Set<string>();
      for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
        const name = byId.get(id)!.callFrame.functionName;
        if (wanted.includes(name) && !seen.has(name)) {
          seen.add(name);
          inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
        }
      }
    }
  }
  const pct = (v: number) => `${((100 * v) / total).toFixed(1).padStart(5)} %`;
  const busy = total - (areas.get('idle') ?? 0);
  console.log(
    `window ${(total / 1e6).toFixed(1)} s of samples; busy (not idle) ${(busy / 1e6).toFixed(1)} s = ${pct(busy)}`,
  );
  console.log('\nself time by area:');
  for (const [name, v] of [...areas].sort((a, b) => b[1] - a[1]))
    console.log(`${pct(v)}  ${(v / 1e6).toFixed(2).padStart(6)} s  ${name}`);
  console.log(`\ntop ${values.top} functions by self time:`);
  for (const [name, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`${pct(v)}  ${name}`);
  if (wanted.length) {
    console.log('\ninclusive time:');
    for (const name of wanted) console.log(`${pct(inclusive.get(name) ?? 0)}  ${name}`);
  }
}

if (require.main === module) main();
