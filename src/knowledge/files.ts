import fs from 'node:fs/promises';
import path from 'node:path';
import { formatFromFilename } from './format';
import type { DocumentFormat } from './types';

export interface KbFile {
  absolutePath: string;
  /**
   * Path relative to the folder given (POSIX separators), or the file name for a file given directly: stable
   * wherever the command runs from, so it serves as the document's external id across re-ingestions.
   */
  relativePath: string;
  format: DocumentFormat;
}

/** Hidden files and folders (.git, .obsidian…) and dependency folders are never knowledge-base content. */
function skipped(name: string): boolean {
  return name.startsWith('.') || name === 'node_modules';
}

async function walk(root: string, folder: string, found: KbFile[]): Promise<void> {
  const entries = (await fs.readdir(folder, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    if (skipped(entry.name)) continue;
    const absolutePath = path.join(folder, entry.name);
    // Symbolic links to folders are not followed (they can loop); links to files are read like files.
    const isFile =
      entry.isFile() || (entry.isSymbolicLink() && (await fs.stat(absolutePath).catch(() => null))?.isFile());
    if (entry.isDirectory()) {
      await walk(root, absolutePath, found);
    } else if (isFile) {
      const format = formatFromFilename(entry.name);
      if (format)
        found.push({
          absolutePath,
          relativePath: path.relative(root, absolutePath).split(path.sep).join('/'),
          format,
        });
    }
  }
}

/**
 * The knowledge-base files (.md, .markdown, .html, .htm, .txt) under the given files and folders, folders walked
 * recursively in name order, each file once. A path that does not exist is an error: better than ingesting less
 * than asked without noticing.
 */
export async function collectKbFiles(paths: string[]): Promise<KbFile[]> {
  const found: KbFile[] = [];
  for (const given of paths) {
    const absolute = path.resolve(given);
    const stat = await fs.stat(absolute).catch(() => null);
    if (!stat) throw new Error(`no such file or folder: ${given}`);
    if (stat.isDirectory()) {
      await walk(absolute, absolute, found);
    } else {
      const format = formatFromFilename(absolute);
      if (!format) throw new Error(`not a knowledge-base file (.md, .markdown, .html, .htm, .txt): ${given}`);
      found.push({ absolutePath: absolute, relativePath: path.basename(absolute), format });
    }
  }
  const seen = new Set<string>();
  return found.filter((file) => !seen.has(file.absolutePath) && seen.add(file.absolutePath));
}
