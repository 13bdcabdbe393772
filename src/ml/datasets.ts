/** Loaders for the data sets shipped in `data/` (see data/README.md for their origin and licences). */
import fs from 'node:fs';
import path from 'node:path';
import type { TrainingExample } from './classifier';
import { parseCsvRecords } from './csv';

export const DEFAULT_EXAMPLES_FILE = 'triage/default-examples.csv';
export const BANKING77_FILE = 'banking77/train.csv';
export const BANKING77_TEST_FILE = 'banking77/test.csv';
export const BITEXT_FILE = 'bitext/Bitext_Sample_Customer_Support_Training_Dataset.csv';

/**
 * The project's `data/` directory: the nearest one above this module that holds the default examples. Looking
 * upwards works from the sources (tsx, jest) and from a build in `dist/src/ai` alike.
 */
export function findDataDir(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'data');
    if (fs.existsSync(path.join(candidate, DEFAULT_EXAMPLES_FILE))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`no data/${DEFAULT_EXAMPLES_FILE} above ${start}`);
  }
}

/** A `text,category` CSV (the eval's and the default examples' format) as training examples. */
export function readLabelledCsv(file: string): TrainingExample[] {
  return parseCsvRecords(fs.readFileSync(file, 'utf8'))
    .filter((record) => record.text && record.category)
    .map((record) => ({ text: record.text!, label: record.category! }));
}

export function loadDefaultExamples(dataDir = findDataDir()): TrainingExample[] {
  return readLabelledCsv(path.join(dataDir, DEFAULT_EXAMPLES_FILE));
}

/** BANKING77's training split: 10,003 real bank customer queries in 77 intents. */
export function loadBanking77(dataDir = findDataDir()): TrainingExample[] {
  return readLabelledCsv(path.join(dataDir, BANKING77_FILE));
}

/** BANKING77's published test split (3,080 queries): evaluation only, never trained on. */
export function loadBanking77Test(dataDir = findDataDir()): TrainingExample[] {
  return readLabelledCsv(path.join(dataDir, BANKING77_TEST_FILE));
}

export interface BitextRow {
  instruction: string;
  intent: string;
  category: string;
  tags: string;
  response: string;
}

/** Bitext's 4,514 synthetic customer requests, each with its intent, category and a reference reply. */
export function loadBitext(dataDir = findDataDir()): BitextRow[] {
  return parseCsvRecords(fs.readFileSync(path.join(dataDir, BITEXT_FILE), 'utf8')).map((record) => ({
    instruction: record.instruction ?? '',
    intent: record.intent ?? '',
    category: record.category ?? '',
    tags: record.tags ?? '',
    response: record.response ?? '',
  }));
}
