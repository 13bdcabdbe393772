/**
 * README's configuration table and the code agree: every variable of the config schema, and every other
 * environment variable a source file or script reads, is in the table, and the table names nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, loadConfig } from '../../src/platform/config';

const ROOT = path.resolve(__dirname, '..', '..');
/** The operating system's, not the product's. */
const NOT_PRODUCT = new Set(['PATH', 'HOME']);

function filesUnder(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(rel);
    return /\.ts$/.test(entry.name) ? [rel] : [];
  });
}

/** `process.env.NAME` reads outside the config module (scripts' own options, test-only helpers). */
function otherEnvReads(): Set<string> {
  const names = new Set<string>();
  for (const file of [...filesUnder('src'), ...filesUnder('scripts')]) {
    if (file === path.join('src', 'platform', 'config.ts')) continue;
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const match of text.matchAll(
      /process\.env\.([A-Z][A-Z0-9_]*)|process\.env\[['"]([A-Z0-9_]+)['"]\]/g,
    )) {
      const name = match[1] ?? match[2]!;
      if (!NOT_PRODUCT.has(name)) names.add(name);
    }
  }
  return names;
}

function documented(): Set<string> {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Configuration'));
  const table = section.slice(0, section.indexOf('\n## '));
  const names = new Set<string>();
  for (const line of table.split('\n')) {
    const first = /^\|([^|]*)\|/.exec(line)?.[1] ?? '';
    for (const match of first.matchAll(/`([A-Z][A-Z0-9_]*)`/g)) names.add(match[1]!);
  }
  return names;
}

test('every variable the code reads is documented, and the table documents nothing else', () => {
  const read = new Set([...CONFIG_VARIABLES, ...otherEnvReads()]);
  expect([...documented()].sort()).toEqual([...read].sort());
  expect(CONFIG_VARIABLES.length).toBeGreaterThan(30);
});

test('the defaults the table states are the defaults the code uses', () => {
  const config = loadConfig({});
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const rowOf = (name: string) => readme.split('\n').find((l) => l.startsWith(`| \`${name}\``)) ?? '';
  expect(rowOf('PORT') || rowOf('HOST')).toContain(`\`${config.http.port}\``);
  expect(rowOf('EMBEDDED_PG_PORT')).toContain(`\`${config.database.embeddedPort}\``);
  expect(rowOf('METRICS_PORT')).toContain(`\`${config.metricsPort}\``);
  expect(rowOf('MAX_BODY_BYTES')).toContain(`\`${config.http.maxBodyBytes}\``);
  expect(rowOf('TEMPORAL_TASK_QUEUE')).toContain(`\`${config.temporal.taskQueue}\``);
  expect(rowOf('DB_POOL_MAX')).toContain(`\`${config.database.poolMax}\``);
});
