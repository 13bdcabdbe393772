// Builds the agent console (web/ → dist/web) when the build is missing or older than its sources.
// `npm start` runs it first (prestart), and so does the browser test; `npm run build:web` always builds.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');
const built = path.join(root, 'dist', 'web', 'index.html');

function newestSource(dir) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const upToDate = fs.existsSync(built) && fs.statSync(built).mtimeMs >= newestSource(web);
if (upToDate) {
  process.stdout.write('console: dist/web is up to date\n');
} else {
  const { build } = await import('vite');
  await build({ configFile: path.join(web, 'vite.config.mjs'), logLevel: 'warn' });
  process.stdout.write('console: built dist/web\n');
}
