/**
 * Starts the real servers the suite runs against, once: a fresh PostgreSQL database and a Temporal dev server
 * (see src/platform/ephemeral-stack.ts). Test files read TEST_DATABASE_URL and TEST_TEMPORAL_ADDRESS.
 */
import { startEphemeralStack } from '../src/platform/ephemeral-stack';

export default async function globalSetup(): Promise<void> {
  // Pure unit tests can skip the servers: JEST_NO_SERVERS=1 npx jest test/domain
  if (process.env.JEST_NO_SERVERS === '1') return;
  const stack = await startEphemeralStack();
  (globalThis as { __triageStack?: typeof stack }).__triageStack = stack;
  process.env.TEST_DATABASE_URL = stack.databaseUrl;
  process.env.TEST_TEMPORAL_ADDRESS = stack.temporalAddress;
}
