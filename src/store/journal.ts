/**
 * The prediction journal (`<cache>/journal.jsonl`): before a paid task is created its key is appended as
 * an intent, and the moment a prediction exists its id is appended — each line flushed to disk — so a run
 * started after a crash (even kill -9) re-attaches to predictions instead of paying for them again.
 * Lines are appended with O_APPEND writes; a torn last line from a crash is ignored when read.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
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

export async function openJournal(cacheDir: string): Promise<Journal> {
  const path = join(cacheDir, 'journal.jsonl');
  await mkdir(dirname(path), { recursive: true });
  let text = '';
  try {
    text = await readFile(path, 'utf8');
  } catch {
    // No journal yet.
  }
  const state = new Map<string, JournalState>();
  for (const entry of parseLines(text)) {
    const current = state.get(entry.key) ?? {};
    if (entry.type === 'intent') current.intentAt = entry.at;
    else current.predictionId = entry.predictionId;
    state.set(entry.key, current);
  }
  // Start on a fresh line even if the last one was torn.
  const handle = await open(path, 'a');
  if (text.length > 0 && !text.endsWith('\n')) await handle.write('\n');
  let queue: Promise<void> = Promise.resolve();

  return {
    path,
    lookup: (key) => state.get(key),
    append(entry) {
      // Serialised so that lines never interleave; each one is on disk before the promise resolves.
      queue = queue.then(async () => {
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.datasync();
      });
      return queue;
    },
    async close(isFinished) {
      await queue;
      await handle.close();
      if (isFinished === undefined) return;
      const keep: JournalEntry[] = [];
      for (const entry of parseLines(await readFile(path, 'utf8'))) {
        if (!(await isFinished(entry.key))) keep.push(entry);
      }
      await writeFileAtomic(path, keep.map((entry) => `${JSON.stringify(entry)}\n`).join(''));
    },
  };
}
