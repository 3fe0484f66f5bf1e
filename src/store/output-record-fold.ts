/**
 * Folding the output record without holding its entries: `record.json` (format 2: sorted, read line by
 * line) is merged with the finished segments (unsorted). Segment entries are gathered into chunks of at
 * most `sortChunk` paths (deduplicated as they come: the entry written last wins, the later one on a
 * tie), each sorted and, once full, spilled as a sorted run file into the scratch folder; the last chunk
 * stays in memory. A k-way merge (store/sorted-merge.ts) of the record, the runs in reading order and the
 * last chunk then writes the merged record, so ties go to the source read later, as they would in one
 * pass. Folders (far fewer) are kept in memory. A format 1 record, or a format 2 one found out of order
 * (edited by hand), goes through the chunks first, like a segment.
 */
import { type FileHandle, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileLines } from './file-lines.js';
import {
  compareLines,
  formatSegmentLine,
  mergeLines,
  OUTPUT_RECORD_VERSION,
  parseRecordLine,
  readRecordTextV1,
  recordHeader,
  recordVersionAtHead,
  refuseNewerRecord,
  type SegmentLine,
} from './output-record-format.js';
import { mergeSorted } from './sorted-merge.js';
import { type WritePiece, writeFileStreamed } from './streamed-write.js';
import { errnoOf, writeFailure } from './write-errors.js';

/**
 * Paths a sorting chunk holds before it is spilled (each about 300 bytes in memory). Small on purpose:
 * a chunk that lives through the young generation's collections is promoted (folding 100,000 files
 * peaked at 49 MB of heap with chunks of 16,384 paths, at 25 MB with 1,024; measured).
 */
export const SORT_CHUNK = 1024;
/** Sorted run files of one level merged into one once there are this many. */
export const MERGE_FAN = 32;

/** The first bytes of a file, or undefined when there is none. */
async function readHead(path: string): Promise<string | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(path, 'r');
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(256), 0, 256, 0);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw error;
  } finally {
    await handle?.close();
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return '';
    throw error;
  }
}

/** The format of `record.json` (none when it does not exist). Throws UsageError on a newer one. */
export async function recordFormat(recordPath: string): Promise<'none' | 1 | 2> {
  const head = await readHead(recordPath);
  if (head === undefined) return 'none';
  const version = recordVersionAtHead(head);
  if (version === undefined) {
    // Not at the head (written by hand, keys in another order): the whole text decides.
    readRecordTextV1(await readText(recordPath), recordPath, '');
    return 1;
  }
  refuseNewerRecord(version, recordPath);
  return version >= 2 ? 2 : 1;
}

/** The entries of a segment, a run file or a format 2 record, as they are read. */
export async function* recordLines(path: string): AsyncGenerator<SegmentLine> {
  for await (const text of fileLines(path)) {
    const line = parseRecordLine(text, path);
    if (line !== undefined) yield line;
  }
}

/** Writes lines in batches of about 64 KB. */
function batching(write: WritePiece): { add(text: string): Promise<void>; end(): Promise<void> } {
  let batch = '';
  return {
    async add(text) {
      batch += text;
      if (batch.length >= 64 * 1024) {
        await write(batch);
        batch = '';
      }
    },
    async end() {
      if (batch !== '') await write(batch);
      batch = '';
    },
  };
}

class OutOfOrder extends Error {}

export interface FoldOptions {
  recordPath: string;
  /** The output folder's real path (the record's header). */
  outDir: string;
  /** The finished segments, in reading order. */
  segments: readonly string[];
  /** An empty folder of the lock holder's for the run files (created when needed). */
  scratchDir: string;
  /** Paths a chunk holds before it is spilled (default SORT_CHUNK). */
  sortChunk?: number;
  /** Run files of one level merged into one at this many (default MERGE_FAN; small in tests). */
  mergeFan?: number;
  /** A folder's time when the record does not say (format 1 kept none). */
  now: string;
}

/**
 * Merges `record.json` and the segments into `record.json` (format 2, written whole before it replaces
 * the old one) and returns the folders recorded (path → time). The segments are left for the caller.
 */
export async function foldRecord(options: FoldOptions): Promise<Map<string, string>> {
  const format = await recordFormat(options.recordPath);
  try {
    return await foldOnce(options, format, format === 2);
  } catch (error) {
    if (!(error instanceof OutOfOrder)) throw error;
    return foldOnce(options, format, false);
  }
}

/** One fold; `merged`: the (format 2) record is a sorted source of the merge, else it is chunked too. */
async function foldOnce(
  options: FoldOptions,
  format: 'none' | 1 | 2,
  merged: boolean,
): Promise<Map<string, string>> {
  const { recordPath, scratchDir } = options;
  const sortChunk = Math.max(1, options.sortChunk ?? SORT_CHUNK);
  let chunk = new Map<string, SegmentLine>();
  const chunkFolders = new Map<string, SegmentLine>();
  const runs: { path: string; level: number }[] = [];
  const mergeFan = Math.max(2, options.mergeFan ?? MERGE_FAN);
  let written = 0;
  /** Writes sorted, deduplicated lines as the next run file. */
  const writeRun = async (lines: AsyncIterable<SegmentLine> | Iterable<SegmentLine>): Promise<string> => {
    const path = join(scratchDir, `${written++}.jsonl`);
    try {
      await mkdir(scratchDir, { recursive: true });
      await writeFileStreamed(path, async (write) => {
        const out = batching(write);
        for await (const line of lines) await out.add(formatSegmentLine(line));
        await out.end();
      });
    } catch (error) {
      throw writeFailure(error, { path, doing: 'sort the output record into', place: 'cache' });
    }
    return path;
  };
  const spill = async (): Promise<void> => {
    const sorted = [...chunk.values()].sort(compareLines);
    chunk = new Map();
    runs.push({ path: await writeRun(sorted), level: 0 });
    // Every `mergeFan` runs of one level become one run of the next (they are neighbours in reading
    // order, so ties keep it): a fold of n paths opens about mergeFan × log(n / sortChunk) files at most.
    for (;;) {
      const group = runs.slice(-mergeFan);
      const level = group[0]?.level;
      if (group.length < mergeFan || group.some((run) => run.level !== level)) return;
      const lines = mergeSorted(
        group.map((run) => recordLines(run.path)),
        compareLines,
      );
      const merged = await writeRun(deduplicated(lines));
      for (const run of group) await rm(run.path, { force: true });
      runs.splice(-mergeFan, mergeFan, { path: merged, level: (level ?? 0) + 1 });
    }
  };
  const add = async (line: SegmentLine): Promise<void> => {
    const into = line.kind === 'folder' ? chunkFolders : chunk;
    const known = into.get(line.path);
    into.set(line.path, known === undefined ? line : mergeLines(known, line));
    if (chunk.size >= sortChunk) await spill();
  };
  if (format === 1)
    for (const line of readRecordTextV1(await readText(recordPath), recordPath, options.now)) await add(line);
  if (format === 2 && !merged) for await (const line of recordLines(recordPath)) await add(line);
  for (const segment of options.segments) for await (const line of recordLines(segment)) await add(line);

  const last = [...chunk.values()].sort(compareLines);
  chunk = new Map();
  const sources: (AsyncIterable<SegmentLine> | Iterable<SegmentLine>)[] = [
    ...(merged ? [inOrder(recordLines(recordPath))] : []),
    ...runs.map((run) => recordLines(run.path)),
    last,
    [...chunkFolders.values()].sort(compareLines),
  ];
  const folders = new Map<string, string>();
  try {
    await writeFileStreamed(recordPath, async (write) => {
      await write(recordHeader(options.outDir));
      const out = batching(write);
      for await (const line of deduplicated(mergeSorted(sources, compareLines))) {
        if (line.kind === 'folder') folders.set(line.path, line.at);
        await out.add(formatSegmentLine(line)); // parsed lines say this format
      }
      await out.end();
    });
  } catch (error) {
    if (error instanceof OutOfOrder) throw error;
    throw writeFailure(error, { path: recordPath, doing: 'write the output record', place: 'cache' });
  }
  return folders;
}

/** Sorted lines with each run of equal ones merged into one (the later one wins, as in mergeLines). */
async function* deduplicated(lines: AsyncIterable<SegmentLine>): AsyncGenerator<SegmentLine> {
  let pending: SegmentLine | undefined;
  for await (const line of lines) {
    if (pending !== undefined && compareLines(pending, line) === 0) pending = mergeLines(pending, line);
    else {
      if (pending !== undefined) yield pending;
      pending = line;
    }
  }
  if (pending !== undefined) yield pending;
}

/** A sorted source's lines; throws OutOfOrder at the first that goes back (a record edited by hand). */
async function* inOrder(lines: AsyncIterable<SegmentLine>): AsyncGenerator<SegmentLine> {
  let before: SegmentLine | undefined;
  for await (const line of lines) {
    if (before !== undefined && compareLines(before, line) > 0) throw new OutOfOrder();
    before = line;
    yield line;
  }
}

export interface RewriteOptions {
  recordPath: string;
  outDir: string;
  /** File paths to leave out. */
  forgotten: ReadonlySet<string>;
  /** The folders to keep (path → time), replacing the record's. */
  folders: ReadonlyMap<string, string>;
}

/** `record.json` again, streamed from itself: without the forgotten files, with these folders. */
export async function rewriteRecord(options: RewriteOptions): Promise<void> {
  const { recordPath, forgotten } = options;
  async function* files(): AsyncGenerator<SegmentLine> {
    for await (const line of recordLines(recordPath))
      if (line.kind === 'file' && !forgotten.has(line.path)) yield line;
  }
  const folders: SegmentLine[] = [...options.folders]
    .map(([path, at]): SegmentLine => ({ v: OUTPUT_RECORD_VERSION, kind: 'folder', path, at }))
    .sort(compareLines);
  try {
    await writeFileStreamed(recordPath, async (write) => {
      await write(recordHeader(options.outDir));
      const out = batching(write);
      for await (const line of mergeSorted([files(), folders], compareLines))
        await out.add(formatSegmentLine(line));
      await out.end();
    });
  } catch (error) {
    throw writeFailure(error, { path: recordPath, doing: 'write the output record', place: 'cache' });
  }
}
