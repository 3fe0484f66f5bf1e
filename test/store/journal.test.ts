import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { JOURNAL_VERSION, openJournal } from '../../src/store/journal.js';

const at = '2026-01-01T00:00:00.000Z';

describe('journal', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes every line of many concurrent appends, whole and in order, before they resolve', async () => {
    const journal = await openJournal(dir);
    const appends = Array.from({ length: 200 }, (_, i) =>
      journal.append({ type: 'intent', key: `k${i}`, model: 'm', at }),
    );
    await Promise.all(appends);
    const lines = (await readFile(journal.path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(200);
    expect(lines.map((line) => JSON.parse(line).key)).toEqual(appends.map((_, i) => `k${i}`));
    await journal.close();
  });

  it('knows intents and prediction ids after a reopen, skipping a torn last line', async () => {
    const first = await openJournal(dir);
    await first.append({ type: 'intent', key: 'a', model: 'm', at });
    await first.append({ type: 'created', key: 'a', model: 'm', predictionId: 'p1', at });
    await first.append({ type: 'intent', key: 'b', model: 'm', at });
    await first.close();
    await appendFile(join(dir, 'journal.jsonl'), '{"type":"created","key":"b","mod');
    const second = await openJournal(dir);
    expect(second.lookup('a')).toEqual({ intentAt: at, predictionId: 'p1' });
    expect(second.lookup('b')).toEqual({ intentAt: at });
    await second.append({ type: 'created', key: 'b', model: 'm', predictionId: 'p2', at });
    await second.close(async (key) => key === 'a');
    const kept = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(kept.map((line) => JSON.parse(line))).toEqual([
      { v: 1, type: 'intent', key: 'b', model: 'm', at },
      { v: 1, type: 'created', key: 'b', model: 'm', predictionId: 'p2', at },
    ]);
  });

  it('records how a prediction ended; a new intent starts a new attempt that forgets it', async () => {
    const first = await openJournal(dir);
    await first.append({ type: 'intent', key: 'a', model: 'm', at });
    await first.append({ type: 'created', key: 'a', model: 'm', predictionId: 'p1', at });
    await first.append({ type: 'ended', key: 'a', model: 'm', predictionId: 'p1', status: 'canceled', at });
    await first.append({ type: 'intent', key: 'b', model: 'm', at });
    await first.append({ type: 'created', key: 'b', model: 'm', predictionId: 'q1', at });
    // An end reported for another prediction than the attempt's own changes nothing.
    await first.append({ type: 'ended', key: 'b', model: 'm', predictionId: 'old', status: 'failed', at });
    await first.close();
    const second = await openJournal(dir);
    expect(second.lookup('a')).toEqual({ intentAt: at, predictionId: 'p1', ended: 'canceled' });
    expect(second.lookup('b')).toEqual({ intentAt: at, predictionId: 'q1' });
    const later = '2026-01-02T00:00:00.000Z';
    await second.append({ type: 'intent', key: 'a', model: 'm', at: later });
    await second.close(async () => false);
    const third = await openJournal(dir);
    expect(third.lookup('a')).toEqual({ intentAt: later });
    await third.close();
    // close() kept only each key's latest attempt.
    const kept = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(kept.map((line) => JSON.parse(line).key)).toEqual(['b', 'b', 'b', 'a']);
    expect(kept.every((line) => JSON.parse(line).v === JOURNAL_VERSION)).toBe(true);
  });

  it('reads lines written before the journal had a version (format 0)', async () => {
    await writeFile(
      join(dir, 'journal.jsonl'),
      `${JSON.stringify({ type: 'intent', key: 'a', model: 'm', at })}\n` +
        `${JSON.stringify({ type: 'created', key: 'a', model: 'm', predictionId: 'p1', at })}\n` +
        `${JSON.stringify({ type: 'intent', key: 'b', model: 'm', at })}\n`,
    );
    const journal = await openJournal(dir);
    expect(journal.lookup('a')).toEqual({ intentAt: at, predictionId: 'p1' });
    expect(journal.lookup('b')).toEqual({ intentAt: at });
    await journal.append({ type: 'ended', key: 'a', model: 'm', predictionId: 'p1', status: 'failed', at });
    await journal.close(async () => false);
    const lines = (await readFile(journal.path, 'utf8'))
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.every((line) => line.v === JOURNAL_VERSION)).toBe(true);
  });

  it('refuses a journal of a newer format, naming the line and what to do', async () => {
    await writeFile(
      join(dir, 'journal.jsonl'),
      `${JSON.stringify({ v: 1, type: 'intent', key: 'a', model: 'm', at })}\n` +
        `${JSON.stringify({ v: JOURNAL_VERSION + 1, type: 'claim', key: 'a', at })}\n`,
    );
    const error = await openJournal(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toContain(
      `journal.jsonl:2: this journal was written by a newer assetgen`,
    );
    expect((error as Error).message).toContain(
      'Finish or resume the interrupted run with that newer assetgen',
    );
  });
});

describe('journal shared by runs on one cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-journal-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refresh() learns what another run journalled since it was opened', async () => {
    const mine = await openJournal(dir);
    const other = await openJournal(dir);
    await other.append({ type: 'intent', key: 'k', model: 'm', at });
    await other.append({ type: 'created', key: 'k', model: 'm', predictionId: 'p9', at });
    expect(mine.lookup('k')).toBeUndefined();
    await mine.refresh();
    expect(mine.lookup('k')).toEqual({ intentAt: at, predictionId: 'p9' });
    await other.close();
    await mine.close();
  });

  it('keeps appending to the journal another run compacted (a new file), not to the replaced one', async () => {
    const mine = await openJournal(dir);
    const other = await openJournal(dir);
    await other.append({ type: 'intent', key: 'done', model: 'm', at });
    await other.close(async (key) => key === 'done'); // replaces journal.jsonl
    await mine.append({ type: 'intent', key: 'late', model: 'm', at });
    await mine.close();
    const lines = (await readFile(join(dir, 'journal.jsonl'), 'utf8')).trimEnd().split('\n');
    expect(lines.map((line) => JSON.parse(line).key)).toEqual(['late']);
  });
});
