import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LOG_FILE, createEmbeddedVectorStore } from '../../../src/stores/vector/embedded-store';
import type { VectorStore } from '../../../src/stores/vector/ports';
import { chunk, describeVectorStoreContract, uuid } from './contract';

const folders: string[] = [];

async function freshFolder(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'embedded-store-'));
  folders.push(dir);
  return dir;
}

afterAll(async () => {
  await Promise.all(folders.map((dir) => fs.rm(dir, { recursive: true, force: true })));
});

describeVectorStoreContract('embedded', async () => {
  const dir = await freshFolder();
  let store: VectorStore = createEmbeddedVectorStore({ dir });
  return {
    store,
    async reopen() {
      await store.close();
      store = createEmbeddedVectorStore({ dir });
      return store;
    },
  };
});

describe('embedded vector store persistence', () => {
  const probe = { tenantId: 'tenant-a', dense: [1, 0, 0, 0], sparse: { indices: [], values: [] }, limit: 50 };
  const lines = async (dir: string) =>
    (await fs.readFile(path.join(dir, LOG_FILE), 'utf8')).split('\n').filter(Boolean);

  test('compaction rewrites the log to the live chunks and loses nothing', async () => {
    const dir = await freshFolder();
    const store = createEmbeddedVectorStore({ dir, compactAfter: 10 });
    await store.ensureReady(4);
    for (let round = 0; round < 6; round++) {
      // The same five chunks over and over: every round supersedes the previous one.
      await store.upsert(
        Array.from({ length: 5 }, (_, i) => chunk(i + 1, { text: `round ${round}`, version: round })),
      );
    }
    await store.archiveDocument('tenant-a', 'doc-1');
    await store.upsert([chunk(6, { documentId: 'doc-2', text: 'live' })]);
    await store.close();

    // 31 entries were written; compaction keeps the log near the six live chunks.
    expect((await lines(dir)).length).toBeLessThan(20);
    const reopened = createEmbeddedVectorStore({ dir });
    expect(await reopened.count('tenant-a')).toBe(1);
    expect((await reopened.search(probe)).map((h) => h.text)).toEqual(['live']);
    await reopened.upsert([chunk(1, { text: 'round 6' })]);
    expect((await reopened.search(probe)).map((h) => h.text).sort()).toEqual(['live', 'round 6']);
    await reopened.close();
    await expect(fs.access(path.join(dir, `${LOG_FILE}.compact`))).rejects.toThrow();
  });

  test('a torn last line (crash mid-write) is dropped and cut off', async () => {
    const dir = await freshFolder();
    const store = createEmbeddedVectorStore({ dir });
    await store.ensureReady(4);
    await store.upsert([chunk(1, { text: 'committed' })]);
    await store.close();
    await fs.appendFile(path.join(dir, LOG_FILE), '{"op":"upsert","points":[{"chunkId":"00000000-');

    const reopened = createEmbeddedVectorStore({ dir });
    expect((await reopened.search(probe)).map((h) => h.text)).toEqual(['committed']);
    await reopened.upsert([chunk(2, { text: 'after the crash' })]);
    await reopened.close();
    const third = createEmbeddedVectorStore({ dir });
    expect((await third.search(probe)).map((h) => h.text).sort()).toEqual(['after the crash', 'committed']);
    await third.close();
  });

  test('a damaged line in the middle of the log is reported, not skipped', async () => {
    const dir = await freshFolder();
    const store = createEmbeddedVectorStore({ dir });
    await store.ensureReady(4);
    await store.upsert([chunk(1)]);
    await store.close();
    const file = path.join(dir, LOG_FILE);
    await fs.writeFile(file, `garbage\n${await fs.readFile(file, 'utf8')}`);
    const reopened = createEmbeddedVectorStore({ dir });
    await expect(reopened.count('tenant-a')).rejects.toEqual(expect.objectContaining({ code: 'corrupt' }));
    await reopened.close();
  });

  test('the folder is created when missing, and a store without data is not ready', async () => {
    const dir = path.join(await freshFolder(), 'nested', 'kb');
    const store = createEmbeddedVectorStore({ dir });
    await expect(store.count('tenant-a')).rejects.toEqual(expect.objectContaining({ code: 'not_ready' }));
    await store.ensureReady(4);
    await store.close();
    expect(await lines(dir)).toEqual([JSON.stringify({ op: 'meta', format: 1, dimensions: 4 })]);
  });

  test('writes issued together are applied in call order', async () => {
    const dir = await freshFolder();
    const store = createEmbeddedVectorStore({ dir });
    await store.ensureReady(4);
    await Promise.all([
      store.upsert([chunk(1, { text: 'first' })]),
      store.upsert([chunk(1, { text: 'second' })]),
      store.archiveDocument('tenant-a', 'doc-1'),
      store.upsert([chunk(1, { text: 'third' })]),
    ]);
    expect((await store.search(probe)).map((h) => h.text)).toEqual(['third']);
    await store.close();
    const reopened = createEmbeddedVectorStore({ dir });
    expect((await reopened.search(probe)).map((h) => [h.chunkId, h.text])).toEqual([[uuid(1), 'third']]);
    await reopened.close();
  });
});
