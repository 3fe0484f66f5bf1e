/**
 * The prediction journal (`<cache>/journal.jsonl`): before a paid task is created its key is appended as
 * an intent — flushed to disk (fdatasync) before the create goes out, so that not even a power cut loses
 * it — and the moment a prediction exists its id is appended, so a run started after a crash (even kill -9)
 * re-attaches to predictions instead of paying for them again. An id line is written at once but not
 * forced to disk: should it be lost with the machine, the intent still leads the next run to search for
 * the prediction (resume.ts) instead of creating another. A prediction that ended without a result
 * (`failed`, `canceled`, `aborted`) gets an `ended` line: the next run creates a new one instead of
 * re-attaching to it.
 *
 * Format: one JSON object per line with `v` (JOURNAL_VERSION). Lines without `v` were written before
 * versions existed (format 0: intent and created lines of the same shape) and are read as such; a line of
 * a newer format stops the run with what to do. Lines are appended with O_APPEND writes; a torn last line
 * from a crash is ignored when read.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { writeFileAtomic } from './atomic.js';
import { fileLines } from './file-lines.js';

export const JOURNAL_VERSION = 1;

/** How a prediction ended without giving its task a result. */
export type EndedStatus = 'failed' | 'canceled' | 'aborted';

export type JournalEntry =
  | { type: 'intent'; key: string; model: string; at: string }
  | { type: 'created'; key: string; model: string; predictionId: string; at: string }
  | { type: 'ended'; key: string; model: string; predictionId: string; status: EndedStatus; at: string };

export interface JournalState {
  /** When the latest create of this key was attempted (a prediction may exist that we never heard of). */
  intentAt?: string;
  /** The prediction created for this key by that attempt, when its id was received. */
  predictionId?: string;
  /** Set when that prediction ended without a result: it must not be re-attached. */
  ended?: EndedStatus;
}

export interface Journal {
  readonly path: string;
  /** What the journal knows about a task key (read once when the journal is opened). */
  lookup(key: string): JournalState | undefined;
  append(entry: JournalEntry): Promise<void>;
  /**
   * Reads the journal again, for what other runs sharing the cache wrote since it was opened (a task
   * taken over from a run that was killed: its intent and prediction id, or how its prediction ended).
   */
  refresh(): Promise<void>;
  /** Waits for pending lines, drops entries of finished tasks, and closes the journal. */
  close(isFinished?: (key: string) => Promise<boolean>): Promise<void>;
}

const ENDED: ReadonlySet<string> = new Set<EndedStatus>(['failed', 'canceled', 'aborted']);

/** One parsed line, or undefined for a torn or unrecognisable one. Throws on a line of a newer format. */
function parseLine(line: string, path: string, lineNumber: number): JournalEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    // A line torn by a crash mid-write: what it would have said is re-learnt by adoption.
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const entry = value as Record<string, unknown>;
  const version = entry.v ?? 0;
  if (typeof version !== 'number' || version > JOURNAL_VERSION) {
    throw new UsageError(
      `${path}:${lineNumber}: this journal was written by a newer assetgen (journal format ${String(version)}; ` +
        `this version reads formats 0 to ${JOURNAL_VERSION}). Finish or resume the interrupted run with that ` +
        'newer assetgen, or delete the file if no run is unfinished (predictions it lists may then be paid again)',
    );
  }
  const { type, key, model, at, predictionId, status } = entry;
  if (typeof key !== 'string' || typeof model !== 'string' || typeof at !== 'string') return undefined;
  if (type === 'intent') return { type, key, model, at };
  if (typeof predictionId !== 'string') return undefined;
  if (type === 'created') return { type, key, model, predictionId, at };
  if (type === 'ended' && typeof status === 'string' && ENDED.has(status)) {
    return { type, key, model, predictionId, status: status as EndedStatus, at };
  }
  return undefined;
}

/** The journal's entries, read line by line as they are taken (never whole); none when there is no journal. */
async function* readEntries(path: string): AsyncGenerator<JournalEntry> {
  let lineNumber = 0;
  for await (const line of fileLines(path)) {
    lineNumber++;
    if (line.trim() === '') continue;
    const entry = parseLine(line, path, lineNumber);
    if (entry !== undefined) yield entry;
  }
}

const serialize = (entry: JournalEntry): string => `${JSON.stringify({ v: JOURNAL_VERSION, ...entry })}\n`;

/** Folds a key's lines, oldest first: a new intent starts a new attempt and forgets the earlier one. */
export function foldJournalEntry(state: JournalState, entry: JournalEntry): JournalState {
  if (entry.type === 'intent') return { intentAt: entry.at };
  if (entry.type === 'created') return { ...withoutEnd(state), predictionId: entry.predictionId };
  if (state.predictionId === undefined || state.predictionId === entry.predictionId) {
    return { ...state, predictionId: entry.predictionId, ended: entry.status };
  }
  return state;
}

function withoutEnd(state: JournalState): JournalState {
  const { ended: _ended, ...rest } = state;
  return rest;
}

/** The lines worth keeping for unfinished keys: each key's latest attempt (from its last intent on). */
function compact(entries: readonly JournalEntry[], keep: (key: string) => boolean): JournalEntry[] {
  const lastIntent = new Map<string, number>();
  entries.forEach((entry, index) => {
    if (entry.type === 'intent') lastIntent.set(entry.key, index);
  });
  return entries.filter(
    (entry, index) => keep(entry.key) && index >= (lastIntent.get(entry.key) ?? Number.NEGATIVE_INFINITY),
  );
}

async function readState(path: string): Promise<Map<string, JournalState>> {
  const state = new Map<string, JournalState>();
  for await (const entry of readEntries(path))
    state.set(entry.key, foldJournalEntry(state.get(entry.key) ?? {}, entry));
  return state;
}

/** Whether the file's last byte is not a newline (a line torn by a crash): false for an empty file. */
function endsTorn(fd: number): boolean {
  const { size } = fstatSync(fd);
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 10;
}

export async function openJournal(cacheDir: string): Promise<Journal> {
  const path = join(cacheDir, 'journal.jsonl');
  await mkdir(dirname(path), { recursive: true });
  let state = await readState(path);
  // Start on a fresh line even if the last one was torn.
  let fd = openSync(path, 'a+');
  let inode = fstatSync(fd).ino;
  if (endsTorn(fd)) writeSync(fd, '\n');
  /** Another run sharing the cache compacted the journal (a new file): append to that one. */
  const followReplacement = (): void => {
    const current = statSync(path, { throwIfNoEntry: false })?.ino;
    if (current === inode) return;
    closeSync(fd);
    fd = openSync(path, 'a');
    inode = fstatSync(fd).ino;
  };

  // Group commit: the lines appended during one turn of the event loop are written and flushed together.
  // The write and the flush are synchronous on purpose: a few hundred bytes and one fdatasync take well
  // under a millisecond, while each hop through libuv's thread pool queues behind image and file work and
  // measured ~15 ms per task under load — time a paid task spent holding its slot before its create.
  let pending: string[] = [];
  let durable = false;
  let flushed: Promise<void> | undefined;
  const flush = (): void => {
    const lines = pending.join('');
    const sync = durable;
    pending = [];
    durable = false;
    flushed = undefined;
    followReplacement();
    writeSync(fd, lines);
    if (sync) fdatasyncSync(fd);
  };

  return {
    path,
    lookup: (key) => state.get(key),
    async refresh() {
      await flushed;
      state = await readState(path);
    },
    append(entry) {
      pending.push(serialize(entry));
      if (entry.type === 'intent') durable = true;
      flushed ??= new Promise<void>((resolve, reject) => {
        setImmediate(() => {
          try {
            flush();
            resolve();
          } catch (error) {
            reject(error);
          }
        });
      });
      return flushed;
    },
    async close(isFinished) {
      await flushed;
      closeSync(fd);
      if (isFinished === undefined) return;
      // Read twice, line by line, so that a journal of 100,000 tasks is never held whole: once for the
      // keys not finished, once for their lines.
      const seen = new Set<string>();
      const unfinished = new Set<string>();
      for await (const entry of readEntries(path)) {
        if (seen.has(entry.key)) continue;
        seen.add(entry.key);
        if (!(await isFinished(entry.key))) unfinished.add(entry.key);
      }
      seen.clear();
      const entries: JournalEntry[] = [];
      for await (const entry of readEntries(path)) if (unfinished.has(entry.key)) entries.push(entry);
      const kept = compact(entries, () => true);
      await writeFileAtomic(path, kept.map(serialize).join(''));
    },
  };
}
