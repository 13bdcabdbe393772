import type { EphemeralStack } from '../src/platform/ephemeral-stack';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __triageStack?: EphemeralStack }).__triageStack?.stop();
}
