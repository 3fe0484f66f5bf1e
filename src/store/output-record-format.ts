/**
 * What assetgen remembers about an output folder (format OUTPUT_RECORD_VERSION), in the cache folder:
 * `record.json` — every file it wrote there and is still responsible for (its bytes' sha256 and size, the
 * file's mtime right after the write, the asset that wrote it, when) and the folders it created — and
 * one segment per running run (`runs/<owner>.jsonl`), a line per file written or folder made, folded
 * into `record.json` once the run is over. For a path, the entry written last (`at`) counts.
 */
import { sep } from 'node:path';
import { UsageError } from '../errors.js';

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

function refuseNewer(version: unknown, where: string): void {
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
  refuseNewer(value?.v, where);
  for (const [path, file] of Object.entries(value?.files ?? {}))
    if (isFileEntry(file)) mergeFile(state, path, file);
  for (const folder of Array.isArray(value?.folders) ? value.folders : [])
    if (typeof folder === 'string') state.folders.add(folder);
}

/** A segment's text into `state`; a torn or unknown line is skipped. Throws UsageError on a newer format. */
export function readSegmentText(text: string, where: string, state: RecordState): void {
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: { v?: unknown; kind?: unknown; path?: unknown } & Partial<RecordedFile>;
    try {
      value = JSON.parse(line) as typeof value;
    } catch {
      continue; // cut short by a crash
    }
    refuseNewer(value.v, where);
    const path = value.path;
    if (typeof path !== 'string') continue;
    if (value.kind === 'file' && isFileEntry(value)) {
      const { sha256, bytes, mtimeMs, asset, at } = value;
      mergeFile(state, path, { sha256, bytes, mtimeMs, asset, at });
    } else if (value.kind === 'folder') state.folders.add(path);
  }
}

/** Keeps the entry written last. */
function mergeFile(state: RecordState, path: string, file: RecordedFile): void {
  const known = state.files.get(path);
  if (known === undefined || known.at <= file.at) state.files.set(path, file);
}

export function formatRecord(state: RecordState, outDir: string): string {
  const files: Record<string, RecordedFile> = {};
  for (const path of [...state.files.keys()].sort()) {
    const file = state.files.get(path);
    if (file !== undefined) files[path] = file;
  }
  const content: OutputRecordContent = {
    v: OUTPUT_RECORD_VERSION,
    outDir,
    files,
    folders: [...state.folders].sort(),
  };
  return `${JSON.stringify(content, null, 1)}\n`;
}

export function formatSegmentLine(line: SegmentLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** A path relative to the output folder as the record writes it (with `/`). */
export function toRecordPath(relativePath: string): string {
  return sep === '/' ? relativePath : relativePath.split(sep).join('/');
}
