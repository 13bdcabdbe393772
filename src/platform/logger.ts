import pino, { type Logger } from 'pino';

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

export function createLogger(level: string, name = 'support-triage'): Logger {
  return pino({ name, level, redact: { paths: LOG_REDACTIONS, censor: '[redacted]' } });
}
