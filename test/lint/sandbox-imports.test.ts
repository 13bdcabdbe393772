/**
 * The lint rule that keeps I/O out of the workflow sandbox: an import of an I/O layer (connectors, stores,
 * platform, Node built-ins) into workflow or domain code is an error; a type-only import is allowed.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const root = path.resolve(__dirname, '..', '..');
const eslintBin = path.join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');

async function lint(file: string, code: string): Promise<string[]> {
  const run = promisify(execFile)(
    process.execPath,
    [eslintBin, '--stdin', '--stdin-filename', file, '--format', 'json'],
    { cwd: root, maxBuffer: 10 * 1024 * 1024 },
  );
  run.child.stdin!.end(code);
  const { stdout } = await run.catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  const [result] = JSON.parse(stdout) as Array<{
    messages: Array<{ ruleId: string | null; message: string }>;
  }>;
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const cases: Array<[string, string]> = [
  [
    'src/workflows/ticket/sla.ts',
    "import { scrub } from '../../connectors/itsm/http';\nexport const x = scrub;\n",
  ],
  [
    'src/workflows/ticket/sla.ts',
    "import { deliverAlert } from '../../connectors/notifications/deliver';\nexport const x = deliverAlert;\n",
  ],
  [
    'src/workflows/apply-sla-policy.ts',
    "import { createDb } from '../stores/db';\nexport const x = createDb;\n",
  ],
  ['src/domain/sla.ts', "import fs from 'node:fs';\nexport const x = fs;\n"],
  ['src/domain/sla.ts', "import knex from 'knex';\nexport const x = knex;\n"],
];

test.each(cases)(
  '%s may not import I/O: %s',
  async (file, code) => {
    expect(await lint(file, code)).not.toEqual([]);
  },
  120_000,
);

test('a type-only import of an I/O layer is allowed in workflow code', async () => {
  const code = "import type { ItsmEvent } from '../../connectors/itsm/ports';\nexport type X = ItsmEvent;\n";
  expect(await lint('src/workflows/ticket/run.ts', code)).toEqual([]);
}, 120_000);
