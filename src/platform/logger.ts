import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Paths that may carry secrets: pino replaces them before anything is written. */
export const LOG_REDACTIONS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.secret',
  '*.apiKey',
  '*.api_key',
  '*.token',
  '*.credentials',
];

export interface LoggerOptions {
  /** Human-readable lines (pino-pretty) instead of JSON. */
  pretty?: boolean;
}

/**
 * pino-pretty is a development dependency: loaded only when asked for, and JSON is written when it is missing
 * (a production install). Synchronous, so the last lines before an exit are never lost.
 */
function prettyStream(): DestinationStream | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as (options: object) => DestinationStream;
    return pretty({ sync: true, colorize: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' });
  } catch {
    return undefined;
  }
}

/** JSON lines (for log collectors), or pretty lines for a person at a terminal. */
export function createLogger(level: string, name = 'support-triage', options: LoggerOptions = {}): Logger {
  const config = { name, level, redact: { paths: LOG_REDACTIONS, censor: '[redacted]' } };
  const stream = options.pretty ? prettyStream() : undefined;
  return stream ? pino(config, stream) : pino(config);
}

/** Pretty when a person runs the product in a terminal (stdout is a TTY) outside production. */
export function wantsPrettyLogs(env: string): boolean {
  return env !== 'production' && process.stdout.isTTY === true;
}
