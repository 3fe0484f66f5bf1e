import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openJournal } from '../../src/store/journal.js';

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
      { type: 'intent', key: 'b', model: 'm', at },
      { type: 'created', key: 'b', model: 'm', predictionId: 'p2', at },
    ]);
  });
});
