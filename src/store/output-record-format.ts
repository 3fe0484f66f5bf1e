/**
 * What assetgen remembers about an output folder (format OUTPUT_RECORD_VERSION), in the cache folder:
 * `record.json` — every file it wrote there and is still responsible for (its bytes' sha256 and size, the
 * file's mtime right after the write, the asset that wrote it, when) and the folders it created — and
 * one segment per running run (`runs/<owner>.jsonl`), a line per file written or folder made, folded
 * into `record.json` once the run is over. For a path, the entry written last (`at`) counts.
 *
 * Format 2 `record.json` is lines: first `{"v":2,"outDir":…}`, then one entry a line in the segments' line
 * format, sorted by path (JS string order), a file before a folder of the same path — so it is read and
 * merged line by line, never whole. Format 1 (one JSON object, `files` by path and `folders`) is still
 * read, whole, once; the next write is format 2. Both start with `{"v":N,`, which an older assetgen
 * checks before it reads on: it refuses a newer format instead of misreading it.
 */
import { sep } from 'node:path';
import { UsageError } from '../errors.js';

export const OUTPUT_RECORD_VERSION = 2;

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

/** Format 1 `record.json`. Paths are relative to the output folder, with `/`. */
interface OutputRecordContentV1 {
  v: number;
  outDir: string;
  files: Record<string, RecordedFile>;
  folders: string[];
}

/** A line of a segment or of a format 2 record (paths relative to the output folder, with `/`). */
export type SegmentLine =
  | ({ v: number; kind: 'file'; path: string } & RecordedFile)
  | { v: number; kind: 'folder'; path: string; at: string };

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

/** A recorded file's own fields (of a file line, or a parsed value). */
export function recordedFile(file: RecordedFile): RecordedFile {
  const { sha256, bytes, mtimeMs, asset, at } = file;
  return { sha256, bytes, mtimeMs, asset, at };
}

/**
 * One line of a segment or a format 2 record (any format's `v` up to this one's); undefined for a torn,
 * blank or unknown line and for the record's header. Throws UsageError on a newer format.
 */
export function parseRecordLine(line: string, where: string): SegmentLine | undefined {
  if (line.trim() === '') return undefined;
  let value: { v?: unknown; kind?: unknown; path?: unknown } & Partial<RecordedFile>;
  try {
    value = JSON.parse(line) as typeof value;
  } catch {
    return undefined; // cut short by a crash
  }
  refuseNewerRecord(value?.v, where);
  const path = value?.path;
  if (typeof path !== 'string') return undefined;
  const v = OUTPUT_RECORD_VERSION;
  if (value.kind === 'file' && isFileEntry(value)) return { v, kind: 'file', path, ...recordedFile(value) };
  if (value.kind === 'folder')
    return { v, kind: 'folder', path, at: typeof value.at === 'string' ? value.at : '' };
  return undefined;
}

/**
 * A format 1 `record.json`'s entries, files then folders (unreadable text has none; folders, which format 1
 * kept without a time, get `at`). Throws UsageError on a newer format.
 */
export function readRecordTextV1(text: string, where: string, at: string): SegmentLine[] {
  let value: Partial<OutputRecordContentV1>;
  try {
    value = JSON.parse(text) as Partial<OutputRecordContentV1>;
  } catch {
    return [];
  }
  refuseNewerRecord(value?.v, where);
  const lines: SegmentLine[] = [];
  const v = OUTPUT_RECORD_VERSION;
  for (const [path, file] of Object.entries(value?.files ?? {}))
    if (isFileEntry(file)) lines.push({ v, kind: 'file', path, ...recordedFile(file) });
  for (const folder of Array.isArray(value?.folders) ? value.folders : [])
    if (typeof folder === 'string') lines.push({ v, kind: 'folder', path: folder, at });
  return lines;
}

/**
 * The format version at the head of `record.json`'s text (it is written first), without parsing the rest;
 * undefined when the head does not say (then the whole text decides).
 */
export function recordVersionAtHead(head: string): number | undefined {
  const match = /^\s*\{\s*"v"\s*:\s*(\d+)\s*,/.exec(head);
  return match === null ? undefined : Number(match[1]);
}

/** Record order: by path (JS string order), a file before a folder of the same path. */
export function compareLines(a: SegmentLine, b: SegmentLine): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  return a.kind === b.kind ? 0 : a.kind === 'file' ? -1 : 1;
}

/**
 * Of two entries of one path and kind, `later` read after `known`: the one written last (`at`), `later`
 * on a tie. A folder's time is only kept (the latest).
 */
export function mergeLines(known: SegmentLine, later: SegmentLine): SegmentLine {
  return known.at <= later.at ? later : known;
}

/** The first line of a format 2 `record.json`. */
export function recordHeader(outDir: string): string {
  return `${JSON.stringify({ v: OUTPUT_RECORD_VERSION, outDir })}\n`;
}

export function formatSegmentLine(line: SegmentLine): string {
  return `${JSON.stringify(line)}\n`;
}

/** A path relative to the output folder as the record writes it (with `/`). */
export function toRecordPath(relativePath: string): string {
  return sep === '/' ? relativePath : relativePath.split(sep).join('/');
}
