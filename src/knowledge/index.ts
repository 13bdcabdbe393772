export { parseDocument } from './parse';
export { chunkDocument, type ChunkOptions } from './chunk';
export { sha256, contentHash } from './hash';
export { detectFormat, formatFromContent, formatFromFilename, KB_EXTENSIONS } from './format';
export { collectKbFiles, type KbFile } from './files';
export type { Chunk, DocumentFormat, ParsedDocument, Section } from './types';
