// The agent console: built into dist/web, which the API serves at /console (src/api/routes/console.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  // Vite 8 compiles JSX itself (Oxc): React's automatic runtime, no Babel plugin needed.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: path.join(here, '..', 'dist', 'web'),
    emptyOutDir: true,
    sourcemap: true,
  },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
