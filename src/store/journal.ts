/**
 * The prediction journal (`<cache>/journal.jsonl`): before a paid task is created its key is appended as
 * an intent — flushed to disk (fdatasync) before the create goes out, so that not even a power cut loses
 * it — and the moment a prediction exists its id is appended, so a run started after a crash (even kill -9)
 * re-attaches to predictions instead of paying for them again. An id line is written at once but not
 * forced to disk: should it be lost with the machine, the intent still leads the next run to search for
 * the prediction (resume.ts) instead of creating another.
 * Lines are appended with O_APPEND writes; a torn last line from a crash is ignored when read.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, statSync, writeSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic.js';

export type JournalEntry =
  | { type: 'intent'; key: string; model: string; at: string }
  | { type: 'created'; key: string; model: string; predictionId: string; at: string };

export interface JournalState {
  /** When the latest create of this key was attempted (a prediction may exist that we never heard of). */
  intentAt?: string;
  /** The prediction created for this key, when its id was received. */
  predictionId?: string;
}

export interface Journal {
  readonly path: string;
  /** What the journal knows about a task key (read once when the journal is opened). */
  lookup(key: string): JournalState | undefined;
  append(entry: JournalEntry): Promise<void>;
  /**
   * Reads the journal again, for what other runs sharing the cache wrote since it was opened (a task
   * taken over from a run that was killed: its intent and prediction id).
   */
  refresh(): Promise<void>;
  /** Waits for pending lines, drops entries of finished tasks, and closes the journal. */
  close(isFinished?: (key: string) => Promise<boolean>): Promise<void>;
}

function parseLines(text: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // A line torn by a crash mid-write: what it would have said is re-learnt by adoption.
    }
  }
  return entries;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return ''; // No journal yet.
  }
}

function readState(text: string): Map<string, JournalState> {
  const state = new Map<string, JournalState>();
  for (const entry of parseLines(text)) {
    const current = state.get(entry.key) ?? {};
    if (entry.type === 'intent') current.intentAt = entry.at;
    else current.predictionId = entry.predictionId;
    state.set(entry.key, current);
  }
  return state;
}

export async function openJournal(cacheDir: string): Promise<Journal> {
  const path = join(cacheDir, 'journal.jsonl');
  await mkdir(dirname(path), { recursive: true });
  const text = await readText(path);
  let state = readState(text);
  // Start on a fresh line even if the last one was torn.
  let fd = openSync(path, 'a');
  let inode = fstatSync(fd).ino;
  if (text.length > 0 && !text.endsWith('\n')) writeSync(fd, '\n');
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
      state = readState(await readText(path));
    },
    append(entry) {
      pending.push(`${JSON.stringify(entry)}\n`);
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
      const keep: JournalEntry[] = [];
      for (const entry of parseLines(await readFile(path, 'utf8'))) {
        if (!(await isFinished(entry.key))) keep.push(entry);
      }
      await writeFileAtomic(path, keep.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    },
  };
}
