import fs from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  const handles = (globalThis as { __triageHandles?: { stops: Array<() => Promise<void>> } }).__triageHandles;
  for (const stop of (handles?.stops ?? []).reverse()) {
    await stop().catch((error) => console.warn('teardown:', error));
  }
  if (process.env.TEST_WORK_DIR) fs.rmSync(process.env.TEST_WORK_DIR, { recursive: true, force: true });
}
