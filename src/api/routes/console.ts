/**
 * /console: the agent console, a static single-page build (web/, built into dist/web by `npm run build:web`).
 * Hashed assets are cached for good; every other path under /console gets index.html, whose router takes over.
 * The page talks only to this origin's /v1 API, which the Content-Security-Policy enforces.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { Router } from 'express';
import { problems } from '../problems';

const CSP = [
  "default-src 'self'",
  "img-src 'self' data:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

export function createConsoleRouter(dir: string | undefined): Router {
  const router = Router();
  const index = dir ? path.join(dir, 'index.html') : undefined;
  router.use((_req, res, next) => {
    res.set({
      'Content-Security-Policy': CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    next();
  });
  if (dir) {
    router.use(
      '/assets',
      express.static(path.join(dir, 'assets'), {
        immutable: true,
        maxAge: '365d',
        fallthrough: false,
        index: false,
      }),
    );
    router.use(express.static(dir, { index: false, maxAge: 0 }));
  }
  router.get('/{*path}', (_req, res) => {
    if (!index || !fs.existsSync(index)) {
      throw problems.unavailable('the console is not built: run `npm run build:web`');
    }
    res.set('Cache-Control', 'no-cache').sendFile(index);
  });
  return router;
}
