/**
 * Sends knowledge-base files to the product API, one document per file:
 *   npm run kb:ingest -- --url http://localhost:3000 --token <jwt> <file-or-folder>...
 * Folders are walked for .md, .markdown, .html, .htm and .txt files. Each file is POSTed to /v1/kb/documents as
 * { title, content, format, source, external_id } (source and external_id: its path relative to the folder given),
 * so re-running after edits updates documents instead of duplicating them. A failed file does not stop the run;
 * the summary counts created / updated / unchanged / failed, and the exit code is 1 when any failed.
 * The token may also come from KB_TOKEN, the URL from KB_API_URL.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { collectKbFiles, parseDocument, type KbFile } from '../src/knowledge';

type Outcome = 'created' | 'updated' | 'unchanged' | 'failed';

const USAGE = 'usage: npm run kb:ingest -- --url http://localhost:3000 --token <jwt> <file-or-folder>...';

/** The API answers 201 (created) or 200, with `{ status: created | unchanged | updated }` when it says more. */
function outcomeOf(status: number, body: unknown): Outcome | undefined {
  const said = (body as { status?: unknown } | null)?.status;
  if (said === 'created' || said === 'updated' || said === 'unchanged') return said;
  if (status === 201) return 'created';
  if (status === 200) return 'updated';
  return undefined;
}

/** A problem+json detail, or whatever the server said, kept short. */
function reasonOf(status: number, text: string): string {
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown };
    const said = problem.detail ?? problem.title;
    if (typeof said === 'string') return `HTTP ${status}: ${said}`;
  } catch {
    // not JSON: fall through to the raw text
  }
  return `HTTP ${status}: ${text.slice(0, 200) || 'no body'}`;
}

async function ingest(
  file: KbFile,
  url: string,
  token: string,
): Promise<{ outcome: Outcome; reason?: string }> {
  const content = await fs.readFile(file.absolutePath, 'utf8');
  const title =
    parseDocument({ content, format: file.format }).title ??
    path.basename(file.relativePath, path.extname(file.relativePath));
  const response = await fetch(new URL('/v1/kb/documents', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title,
      content,
      format: file.format,
      source: file.relativePath,
      external_id: file.relativePath,
    }),
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const outcome = response.ok ? outcomeOf(response.status, body) : undefined;
  return outcome ? { outcome } : { outcome: 'failed', reason: reasonOf(response.status, text) };
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.KB_API_URL ?? 'http://localhost:3000' },
      token: { type: 'string', default: process.env.KB_TOKEN },
      help: { type: 'boolean', short: 'h' },
    },
    allowPositionals: true,
  });
  if (values.help || !values.token || positionals.length === 0) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }

  const files = await collectKbFiles(positionals);
  if (files.length === 0) {
    console.error('no .md, .markdown, .html, .htm or .txt files found');
    return 2;
  }

  const counts: Record<Outcome, number> = { created: 0, updated: 0, unchanged: 0, failed: 0 };
  const failures: string[] = [];
  const bar = new SingleBar(
    { format: 'ingesting [{bar}] {value}/{total} {file}', hideCursor: true, stream: process.stderr },
    Presets.shades_classic,
  );
  bar.start(files.length, 0, { file: '' });
  // One at a time: gentle on the API (each document is embedded there) and the output stays in file order.
  for (const file of files) {
    bar.update({ file: file.relativePath });
    const result = await ingest(file, values.url!, values.token).catch((error: unknown) => ({
      outcome: 'failed' as const,
      reason:
        error instanceof Error
          ? `${error.message}${error.cause ? ` (${String((error.cause as Error).message ?? error.cause)})` : ''}`
          : String(error),
    }));
    counts[result.outcome] += 1;
    if (result.reason) failures.push(`${file.relativePath}: ${result.reason}`);
    bar.increment({ file: file.relativePath });
  }
  bar.stop();

  for (const failure of failures) console.error(`failed ${failure}`);
  console.log(
    `${files.length} files: ${counts.created} created, ${counts.updated} updated, ${counts.unchanged} unchanged, ${counts.failed} failed`,
  );
  return counts.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
