/**
 * What assetgen remembers about an output folder (format OUTPUT_RECORD_VERSION), in the cache folder:
 * `record.json` — every file it wrote there and is still responsible for (its bytes' sha256 and size, the
 * file's mtime right after the write, the asset that wrote it, when) and the folders it created — and
 * one segment per running run (`runs/<owner>.jsonl`), a line per file written or folder made, folded
 * into `record.json` once the run is over. For a path, the entry written last (`at`) counts.
 */
import { sep } from 'node:path';
import { UsageError } from '../errors.js';
import type { WritePiece } from './streamed-write.js';

export const OUTPUT_RECORD_VERSION = 1;

/** One file assetgen put into the output folder. */
export interface RecordedFile {
  /** sha256 of the bytes assetgen wrote. */
  sha256: string;
  bytes: number;
  /** The file's modification time right after it was written (ms since the epoch). */
  mtimeMs: number;
  /** `recipe/asset[/variant]` that wrote it. */
  asset: string;
  /** When it was written (ISO time). */
  at: string;
}

/** `record.json`. Paths are relative to the output folder, with `/`. */
export interface OutputRecordContent {
  v: number;
  /** The output folder (real path) this record is about. */
  outDir: string;
  files: Record<string, RecordedFile>;
  /** Folders below the output folder that assetgen created. */
  folders: string[];
}

export type SegmentLine =
  | ({ v: number; kind: 'file'; path: string } & RecordedFile)
  | { v: number; kind: 'folder'; path: string; at: string };

/** The record in memory. */
export interface RecordState {
  files: Map<string, RecordedFile>;
  folders: Set<string>;
}

export function emptyState(): RecordState {
  return { files: new Map(), folders: new Set() };
}

/** Throws UsageError when `version` is newer than this assetgen reads. */
export function refuseNewerRecord(version: unknown, where: string): void {
  if (typeof version === 'number' && version > OUTPUT_RECORD_VERSION) {
    throw new UsageError(
      `${where} was written by a newer assetgen (output record format ${version}; this one reads up to ` +
        `${OUTPUT_RECORD_VERSION}): nothing was run. Use that newer assetgen, or another --cache-dir`,
    );
  }
}

const isFileEntry = (value: Partial<RecordedFile> | undefined): value is RecordedFile =>
  typeof value?.sha256 === 'string' &&
  typeof value.bytes === 'number' &&
  typeof value.mtimeMs === 'number' &&
  typeof value.asset === 'string' &&
  typeof value.at === 'string';

/** `record.json`'s text into `state` (unreadable text adds nothing). Throws UsageError on a newer format. */
export function readRecordText(text: string, where: string, state: RecordState): void {
  let value: Partial<OutputRecordContent>;
  try {
    value = JSON.parse(text) as Partial<OutputRecordContent>;
  } catch {
    return;
  }
  refuseNewerRecord(value?.v, where);
  for (const [path, file] of Object.entries(value?.files ?? {}))
    if (isFileEntry(file)) mergeFile(state, path, file);
  for (const folder of Array.isArray(value?.folders) ? value.folders : [])
    if (typeof folder === 'string') state.folders.add(folder);
}

/** One line of a segment into `state`; a torn or unknown line is skipped. Throws UsageError on a newer format. */
export function readSegmentLine(line: string, where: string, state: RecordState): void {
  if (line.trim() === '') return;
  let value: { v?: unknown; kind?: unknown; path?: unknown } & Partial<RecordedFile>;
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    return; // cut short by a crash
  }
  refuseNewerRecord(value.v, where);
  const path = value.path;
  if (typeof path !== 'string') return;
  if (value.kind === 'file' && isFileEntry(value)) {
    const { sha256, bytes, mtimeMs, asset, at } = value;
    mergeFile(state, path, { sha256, bytes, mtimeMs, asset, at });
  } else if (value.kind === 'folder') state.folders.add(path);
}

/**
 * The format version at the head of `record.json`'s text (it is written first), without parsing the rest;
 * undefined when the head does not say (then the whole text decides).
 */
export function recordVersionAtHead(head: string): number | undefined {
  const match = /^\s*\{\s*"v"\s*:\s*(\d+)\s*,/.exec(head);
  return match === null ? undefined : Number(match[1]);
}

/** Keeps the entry written last. */
function mergeFile(state: RecordState, path: string, file: RecordedFile): void {
  const known = state.files.get(path);
  if (known === undefined || known.at <= file.at) state.files.set(path, file);
}

/**
 * `record.json` piece by piece (a record of 100,000 files is never one string): the bytes of
 * `JSON.stringify(content, null, 1)` for the state's files in path order and its folders sorted.
 */
export async function writeRecord(state: RecordState, outDir: string, write: WritePiece): Promise<void> {
  await write(`{\n "v": ${OUTPUT_RECORD_VERSION},\n "outDir": ${JSON.stringify(outDir)},\n "files": `);
  const paths = [...state.files.keys()].sort();
  if (paths.length === 0) await write('{}');
  let batch = '';
  for (const [index, path] of paths.entries()) {
    const file = state.files.get(path);
    batch += `${index === 0 ? '{\n' : ',\n'}  ${JSON.stringify(path)}: ${indent(JSON.stringify(file, null, 1), '  ')}`;
    if (batch.length >= 64 * 1024) {
      await write(batch);
      batch = '';
    }
  }
  if (paths.length > 0) await write(`${batch}\n }`);
  const folders = JSON.stringify([...state.folders].sort(), null, 1);
  await write(`,\n "folders": ${indent(folders, ' ')}\n}\n`);
}

const indent = (json: string, by: string): string => json.replace(/\n/g, `\n${by}`);

export function formatSegmentLine(line: SegmentLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** A path relative to the output folder as the record writes it (with `/`). */
export function toRecordPath(relativePath: string): string {
  return sep === '/' ? relativePath : relativePath.split(sep).join('/');
}
