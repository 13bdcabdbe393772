import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { collectKbFiles, contentHash, detectFormat, sha256 } from '../../src/knowledge';

describe('detectFormat', () => {
  test('by extension first, whatever the case', () => {
    expect(detectFormat({ filename: 'guides/Refunds.MD' })).toBe('markdown');
    expect(detectFormat({ filename: 'a.markdown' })).toBe('markdown');
    expect(detectFormat({ filename: 'faq.htm' })).toBe('html');
    expect(detectFormat({ filename: 'faq.html', content: '# looks like markdown' })).toBe('html');
    expect(detectFormat({ filename: 'notes.txt' })).toBe('text');
    expect(detectFormat({ filename: 'image.png' })).toBeNull();
  });

  test('by content when the name does not tell', () => {
    expect(detectFormat({ content: '<!DOCTYPE html><html><body>x</body></html>' })).toBe('html');
    expect(detectFormat({ content: '<p>One</p>\n<p>Two</p>' })).toBe('html');
    expect(detectFormat({ content: '# Title\n\nBody' })).toBe('markdown');
    expect(detectFormat({ content: 'Intro\n\n- a\n- b' })).toBe('markdown');
    expect(detectFormat({ content: 'See [the docs](https://x.test).' })).toBe('markdown');
    expect(detectFormat({ content: 'Title\n=====\n\ntext' })).toBe('markdown');
    expect(detectFormat({ filename: 'README', content: 'Just words. 3 < 4 and a > b.' })).toBe('text');
  });
});

describe('hashes', () => {
  test('sha256 is the hex digest', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  test('contentHash ignores line endings and a BOM, not the title, format or text', () => {
    const base = { title: 'Refunds', content: 'Line one\nLine two\n', format: 'markdown' as const };
    const hash = contentHash(base);
    expect(contentHash({ ...base, content: '\uFEFFLine one\r\nLine two\r\n' })).toBe(hash);
    expect(contentHash({ ...base, title: ' Refunds ' })).toBe(hash);
    expect(contentHash({ ...base, title: 'Refunds 2' })).not.toBe(hash);
    expect(contentHash({ ...base, format: 'text' })).not.toBe(hash);
    expect(contentHash({ ...base, content: 'Line one\nLine 2\n' })).not.toBe(hash);
  });
});

describe('collectKbFiles', () => {
  let root: string;

  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'kb-files-'));
    const files: Record<string, string> = {
      'docs/b.md': '# B',
      'docs/a.html': '<h1>A</h1>',
      'docs/nested/deeper/c.txt': 'C',
      'docs/nested/d.markdown': 'D',
      'docs/nested/e.HTM': 'E',
      'docs/ignored.pdf': '%PDF',
      'docs/.hidden/f.md': 'hidden',
      'docs/.draft.md': 'hidden',
      'docs/node_modules/pkg/readme.md': 'dependency',
      'single.txt': 'single',
      'other.png': 'png',
    };
    for (const [name, content] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(root, name)), { recursive: true });
      await fs.writeFile(path.join(root, name), content);
    }
    await fs.symlink(path.join(root, 'docs'), path.join(root, 'docs/nested/loop'));
    await fs.symlink(path.join(root, 'single.txt'), path.join(root, 'docs/linked.txt'));
  });

  afterAll(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  test('walks folders in name order, keeps knowledge-base files, skips hidden, dependency and linked folders', async () => {
    const files = await collectKbFiles([path.join(root, 'docs')]);
    expect(files.map((f) => [f.relativePath, f.format])).toEqual([
      ['a.html', 'html'],
      ['b.md', 'markdown'],
      ['linked.txt', 'text'],
      ['nested/d.markdown', 'markdown'],
      ['nested/deeper/c.txt', 'text'],
      ['nested/e.HTM', 'html'],
    ]);
    expect(files[0]!.absolutePath).toBe(path.join(root, 'docs', 'a.html'));
  });

  test('files given directly are named by their file name; each file is listed once', async () => {
    const files = await collectKbFiles([
      path.join(root, 'single.txt'),
      path.join(root, 'docs/nested'),
      path.join(root, 'docs/nested/d.markdown'),
    ]);
    expect(files.map((f) => f.relativePath)).toEqual(['single.txt', 'd.markdown', 'deeper/c.txt', 'e.HTM']);
  });

  test('paths relative to the working directory work', async () => {
    const cwd = process.cwd();
    process.chdir(root);
    try {
      expect((await collectKbFiles(['docs/nested/deeper'])).map((f) => f.relativePath)).toEqual(['c.txt']);
    } finally {
      process.chdir(cwd);
    }
  });

  test('a missing path or a file of another kind is an error', async () => {
    await expect(collectKbFiles([path.join(root, 'nope')])).rejects.toThrow(/no such file or folder/);
    await expect(collectKbFiles([path.join(root, 'other.png')])).rejects.toThrow(/not a knowledge-base file/);
  });
});
