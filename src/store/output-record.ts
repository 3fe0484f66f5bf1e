/**
 * The output record: every file assetgen has written into an output folder, kept in the cache folder
 * (`<cache>/outputs/<hash of the output folder's real path>/`, format in output-record-format.ts), never in
 * the output folder itself.
 *
 * A run appends what it writes to its own segment (`runs/<owner>.jsonl`, one writer, lines batched per
 * event-loop turn), so runs going on at once never write the same file. While it runs it holds a claim
 * `run-<owner>` (store/task-claims.ts: renewed lease, pid and host), which tells others its segment is
 * still growing. `locked` takes the folder's lock (the claim `record`, created exclusively), folds every
 * segment whose run is over — ended, killed, or its lease expired — into `record.json`, hands the merged
 * record to its caller, writes it back and only then deletes the folded segments: entries are merged,
 * never overwritten, and a crash anywhere loses none (folding twice is harmless). Paths that a run still
 * going on wrote come as `inFlight`, for the caller to leave alone.
 */
import {
  appendFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  realpath,
  rm,
  stat,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { InternalError } from '../errors.js';
import { type Liveness, parseClaim, processExists, staleReason } from './claim-record.js';
import { sha256 } from './hash.js';
import {
  emptyState,
  formatSegmentLine,
  OUTPUT_RECORD_VERSION,
  type RecordedFile,
  type RecordState,
  readRecordText,
  readSegmentLine,
  recordVersionAtHead,
  refuseNewerRecord,
  type SegmentLine,
  writeRecord,
} from './output-record-format.js';
import { writeFileStreamed } from './streamed-write.js';
import { createTaskClaims } from './task-claims.js';
import { errnoOf, writeFailure } from './write-errors.js';

export type { RecordedFile } from './output-record-format.js';

/** The merged record, while the output folder's lock is held. Changes to `files`/`folders` are saved. */
export interface LockedRecord extends RecordState {
  /** Paths last written by runs still going on (another process): not to be judged now. */
  readonly inFlight: ReadonlySet<string>;
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
  const readText = async (path: string): Promise<string | undefined> => {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return undefined;
      throw error;
    }
  };
  /** The first bytes of a file, or undefined when there is none. */
  const readHead = async (path: string): Promise<string | undefined> => {
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
  };
  /** A segment into `state` line by line (not read whole); false when there is none. */
  const readSegment = async (path: string, state: RecordState): Promise<boolean> => {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') return false;
      throw error;
    }
    try {
      for await (const line of handle.readLines({ encoding: 'utf8' })) readSegmentLine(line, path, state);
    } finally {
      await handle.close();
    }
    return true;
  };
  // A record of a newer format stops the run before anything is written (its head says; else all of it).
  const head = await readHead(recordPath);
  if (head !== undefined) {
    const version = recordVersionAtHead(head);
    if (version !== undefined) refuseNewerRecord(version, recordPath);
    else readRecordText((await readText(recordPath)) ?? '', recordPath, emptyState());
  }

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
      const state = emptyState();
      const text = await readText(recordPath);
      if (text !== undefined) readRecordText(text, recordPath, state);
      const live = emptyState();
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
        const into = (await runIsLive(name.slice(0, -'.jsonl'.length))) ? live : state;
        if (!(await readSegment(path, into))) continue;
        if (into === state) folded.push(path);
      }
      const result = await fn({
        ...state,
        inFlight: new Set(live.files.keys()),
        inFlightFolders: live.folders,
      });
      try {
        await writeFileStreamed(recordPath, (write) => writeRecord(state, real, write));
      } catch (error) {
        throw writeFailure(error, { path: recordPath, doing: 'write the output record', place: 'cache' });
      }
      for (const path of folded) await rm(path, { force: true });
      return result;
    } finally {
      await waited.owned.release();
    }
  };

  return { dir, outDir: real, startRun, locked, close: () => claims.close() };
}
