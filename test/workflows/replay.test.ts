/**
 * Replays recorded ticket histories against the current workflow code: a change that would break tickets
 * already running (non-determinism) fails here. Record new histories with scripts/record-history.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from '@temporalio/worker';
import { workflowBundle } from '../helpers/harness';

const dir = path.join(__dirname, '..', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));

test('there are recorded histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('%s replays without non-determinism', async (file) => {
  const history = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
  const result = await Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, [
    { workflowId: file, history },
  ]);
  for await (const r of result) {
    expect(r.error).toBeUndefined();
  }
});
