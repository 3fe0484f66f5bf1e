/**
 * The output record: every file assetgen has written into an output folder, kept in the cache folder
 * (`<cache>/outputs/<hash of the output folder's real path>/`, format in output-record-format.ts), never in
 * the output folder itself.
 *
 * A run appends what it writes to its own segment (`runs/<owner>.jsonl`, one writer, lines batched per
 * event-loop turn), so runs going on at once never write the same file. While it runs it holds a claim
 * `run-<owner>` (store/task-claims.ts: renewed lease, pid and host), which tells others its segment is
 * still growing. `locked` takes the folder's lock (the claim `record`, created exclusively), folds every
 * segment whose run is over — ended, killed, or its lease expired — into `record.json` (streamed, in
 * bounded memory: output-record-fold.ts), hands the record to its caller to read line by line, writes
 * back what it forgot and only then deletes the folded segments: entries are merged, never overwritten,
 * and a crash anywhere loses none (folding twice is harmless). Paths that a run still going on wrote
 * come as `inFlight`, for the caller to leave alone.
 */
import { appendFile, mkdir, readdir, readFile, realpath, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InternalError } from '../errors.js';
import { hashedStringSet, type StringMembership } from '../hashed-string-set.js';
import { type Liveness, parseClaim, processExists, staleReason } from './claim-record.js';
import { sha256 } from './hash.js';
import { foldRecord, recordFormat, recordLines, rewriteRecord } from './output-record-fold.js';
import {
  formatSegmentLine,
  OUTPUT_RECORD_VERSION,
  type RecordedFile,
  recordedFile,
  type SegmentLine,
} from './output-record-format.js';
import { createTaskClaims } from './task-claims.js';
import { errnoOf } from './write-errors.js';

export type { RecordedFile } from './output-record-format.js';

/**
 * The merged record, while the output folder's lock is held (and only then: it is read from
 * `record.json`). What is forgotten and the changes to `folders` are saved after.
 */
export interface LockedRecord {
  /**
   * The recorded files in path order (JS string order), read from the merged record as they are asked
   * for; in-flight paths too (see `inFlight`), forgotten ones not.
   */
  files(): AsyncIterable<[path: string, file: RecordedFile]>;
  /** Drops a file from the record (when it is written back). */
  forget(path: string): void;
  /** The folders assetgen created there (held in memory: far fewer than files). */
  readonly folders: Set<string>;
  /**
   * Paths last written by runs still going on (another process): not to be judged now. Kept as hashes: a
   * false yes only leaves a file unjudged this time.
   */
  readonly inFlight: StringMembership;
  /** Folders created by runs still going on. */
  readonly inFlightFolders: ReadonlySet<string>;
}

/** What the runner tells the record while it writes (paths relative to the output folder, with `/`). */
export interface OutputRecorder {
  fileWritten(path: string, file: RecordedFile): void;
  folderCreated(path: string): void;
}

export interface RunRecorder extends OutputRecorder {
  /** Everything recorded so far is appended to the segment. */
  flush(): Promise<void>;
  /** Flushes and ends the run's claim: the next `locked` folds the segment into the record. */
  close(): Promise<void>;
  /** The first append that failed, in words (the files it names are then not remembered). */
  readonly error: string | undefined;
}

export interface OutputRecord {
  /** The record's folder in the cache. */
  readonly dir: string;
  /** The output folder's real path. */
  readonly outDir: string;
  /** Starts recording this run's writes (once per record). */
  startRun(): Promise<RunRecorder>;
  /** Runs `fn` holding the output folder's lock, with the merged record; saves its changes after. */
  locked<T>(fn: (record: LockedRecord) => Promise<T>, options?: { signal?: AbortSignal }): Promise<T>;
  /** Releases what is still held (the run's claim, the lock). */
  close(): Promise<void>;
}

export interface OutputRecordOptions {
  /** How long a run's claim or the lock counts without renewal (default 30 s). */
  leaseMs?: number;
  /** Paths a sorting chunk of the fold holds before it is spilled (default 1,024; small in tests). */
  sortChunk?: number;
  /** Sorted run files of one level of the fold merged into one at this many (default 32; small in tests). */
  mergeFan?: number;
  /** For tests: host, pid and liveness check of the claims. */
  host?: string;
  pid?: number;
  isAlive?: (pid: number) => boolean;
}

/** The real path of `path`, also when its last parts do not exist yet. */
export async function canonicalPath(path: string): Promise<string> {
  const tail: string[] = [];
  let head = resolve(path);
  for (;;) {
    try {
      return join(await realpath(head), ...tail.reverse());
    } catch (error) {
      const parent = dirname(head);
      if (errnoOf(error) !== 'ENOENT' || parent === head) throw error;
      tail.push(basename(head));
      head = parent;
    }
  }
}

/** The record of `outDir` in `cacheDir`. Throws UsageError when it is of a newer format. */
export async function openOutputRecord(
  cacheDir: string,
  outDir: string,
  options: OutputRecordOptions = {},
): Promise<OutputRecord> {
  const real = await canonicalPath(outDir);
  const dir = join(resolve(cacheDir), 'outputs', sha256(real).slice(0, 32));
  const recordPath = join(dir, 'record.json');
  const runsDir = join(dir, 'runs');
  const leaseMs = options.leaseMs ?? 30_000;
  const claims = createTaskClaims(dir, {
    leaseMs,
    ...(options.host === undefined ? {} : { host: options.host }),
    ...(options.pid === undefined ? {} : { pid: options.pid }),
    ...(options.isAlive === undefined ? {} : { isAlive: options.isAlive }),
  });
  const liveness = (): Liveness => ({
    host: options.host ?? hostname(),
    now: Date.now(),
    isAlive: options.isAlive ?? processExists,
  });
  const scratchDir = join(dir, 'sorting');
  // A record of a newer format stops the run before anything is written (its head says; else all of it).
  await recordFormat(recordPath);

  const runIsLive = async (owner: string): Promise<boolean> => {
    const path = join(dir, 'claims', `run-${owner}.json`);
    try {
      const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
      return staleReason(parseClaim(text, `run-${owner}`, info.mtimeMs, leaseMs), liveness()) === undefined;
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw error;
    }
  };

  let started = false;
  const startRun = async (): Promise<RunRecorder> => {
    if (started) throw new InternalError('an output record records one run');
    started = true;
    // The claim comes first: a segment without a live claim is a finished run's, and may be folded.
    const claim = await claims.claim(`run-${claims.owner}`);
    if (!('owned' in claim)) throw new InternalError('a run claim of a fresh owner is held by another');
    await mkdir(runsDir, { recursive: true });
    const segment = join(runsDir, `${claims.owner}.jsonl`);
    let pending: string[] = [];
    let writing: Promise<void> = Promise.resolve();
    let scheduled = false;
    let error: string | undefined;
    const flush = (): Promise<void> => {
      scheduled = false;
      if (pending.length > 0) {
        const text = pending.join('');
        pending = [];
        writing = writing.then(() =>
          appendFile(segment, text).catch((failure: unknown) => {
            error ??= `could not record written files in ${segment}: ${(failure as Error).message}`;
          }),
        );
      }
      return writing;
    };
    const add = (line: SegmentLine): void => {
      pending.push(formatSegmentLine(line));
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void flush());
      }
    };
    return {
      fileWritten: (path, file) => add({ v: OUTPUT_RECORD_VERSION, kind: 'file', path, ...file }),
      folderCreated: (path) =>
        add({ v: OUTPUT_RECORD_VERSION, kind: 'folder', path, at: new Date().toISOString() }),
      flush,
      async close() {
        await flush();
        await claim.owned.release();
      },
      get error() {
        return error;
      },
    };
  };

  const locked = async <T>(
    fn: (record: LockedRecord) => Promise<T>,
    lockOptions: { signal?: AbortSignal } = {},
  ): Promise<T> => {
    const waited = await claims.wait('record', {
      result: async () => undefined,
      ...(lockOptions.signal === undefined ? {} : { signal: lockOptions.signal }),
    });
    if (!('owned' in waited)) throw new InternalError('the output record lock has no result to wait for');
    try {
      await rm(scratchDir, { recursive: true, force: true }); // a killed holder's
      const inFlight = hashedStringSet();
      const inFlightFolders = new Set<string>();
      const folded: string[] = [];
      let names: string[] = [];
      try {
        names = await readdir(runsDir);
      } catch (error) {
        if (errnoOf(error) !== 'ENOENT') throw error;
      }
      for (const name of names.sort()) {
        if (!name.endsWith('.jsonl')) continue;
        const path = join(runsDir, name);
        if (!(await runIsLive(name.slice(0, -'.jsonl'.length)))) {
          folded.push(path);
          continue;
        }
        for await (const line of recordLines(path))
          if (line.kind === 'file') inFlight.add(line.path);
          else inFlightFolders.add(line.path);
      }
      const now = new Date().toISOString();
      const recorded = await foldRecord({
        recordPath,
        outDir: real,
        segments: folded,
        scratchDir,
        now,
        ...(options.sortChunk === undefined ? {} : { sortChunk: options.sortChunk }),
        ...(options.mergeFan === undefined ? {} : { mergeFan: options.mergeFan }),
      });
      const folders = new Set(recorded.keys());
      const forgotten = new Set<string>();
      let holding = true;
      async function* files(): AsyncGenerator<[string, RecordedFile]> {
        if (!holding) throw new InternalError('the output record is read only while its lock is held');
        for await (const line of recordLines(recordPath))
          if (line.kind === 'file' && !forgotten.has(line.path)) yield [line.path, recordedFile(line)];
      }
      let result: T;
      try {
        result = await fn({
          files,
          forget: (path) => void forgotten.add(path),
          folders,
          inFlight,
          inFlightFolders,
        });
      } finally {
        holding = false;
      }
      const foldersChanged =
        folders.size !== recorded.size || [...folders].some((folder) => !recorded.has(folder));
      if (forgotten.size > 0 || foldersChanged) {
        const kept = new Map([...folders].map((folder) => [folder, recorded.get(folder) ?? now]));
        await rewriteRecord({ recordPath, outDir: real, forgotten, folders: kept });
      }
      for (const path of folded) await rm(path, { force: true });
      return result;
    } finally {
      await rm(scratchDir, { recursive: true, force: true }).catch(() => {});
      await waited.owned.release();
    }
  };

  return { dir, outDir: real, startRun, locked, close: () => claims.close() };
}
