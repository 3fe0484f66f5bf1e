/**
 * The output record (store/output-record.ts) on real files: runs recording into one output folder at once
 * — each as its own owner, as separate processes would be — lose no entry, also when they merge the record
 * at the same time; a killed run's segment is folded in by the next one, a live run's entries are only
 * in flight; a record of a newer format stops the run before anything is written.
 */
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { openOutputRecord, type RecordedFile } from '../../src/store/output-record.js';

let dir: string;
let cache: string;
let out: string;
beforeEach(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'assetgen-record-')));
  cache = join(dir, 'cache');
  out = join(dir, 'out');
  await mkdir(out);
});
afterEach(() => rm(dir, { recursive: true, force: true }));

const file = (asset: string): RecordedFile => ({
  sha256: 'a'.repeat(64),
  bytes: 3,
  mtimeMs: 1,
  asset,
  at: new Date().toISOString(),
});

describe('output record', () => {
  it('four runs recording and merging at once lose no entry', { timeout: 60_000 }, async () => {
    const runs = await Promise.all([0, 1, 2, 3].map(() => openOutputRecord(cache, out)));
    await Promise.all(
      runs.map(async (record, run) => {
        await sleep(run * 20); // staggered: the first to merge is the slowest to finish (below)
        const recorder = await record.startRun();
        for (let i = 0; i < 50; i++) {
          recorder.fileWritten(`r${run}/f${i}.png`, file(`recipe/r${run}`));
          if (i === 0) recorder.folderCreated(`r${run}`);
          if (i % 10 === 0) await sleep(1);
        }
        await recorder.close();
        // Every run merges while the others still record or merge; a slow merge widens the window.
        await record.locked(async (locked) => {
          expect(locked.files.has(`r${run}/f49.png`)).toBe(true);
          await sleep((4 - run) * 40);
        });
        await record.close();
      }),
    );
    const check = await openOutputRecord(cache, out);
    const seen = await check.locked(async (locked) => ({
      files: [...locked.files.keys()].length,
      folders: [...locked.folders].sort(),
      inFlight: locked.inFlight.size,
    }));
    expect(seen).toEqual({ files: 200, folders: ['r0', 'r1', 'r2', 'r3'], inFlight: 0 });
    // Every segment was folded in and removed.
    expect(await readdir(join(check.dir, 'runs'))).toEqual([]);
    await check.close();
  });

  it('a killed run’s segment is folded in; a live run’s entries are in flight, not judged', async () => {
    // The killed run: its claim names a process that no longer exists.
    const killed = await openOutputRecord(cache, out, { pid: 4_194_305 });
    const lost = await killed.startRun();
    lost.fileWritten('killed.png', file('recipe/killed'));
    await lost.flush(); // on disk, then the process "dies" without closing
    const live = await openOutputRecord(cache, out);
    const running = await live.startRun();
    running.fileWritten('running.png', file('recipe/running'));
    running.folderCreated('running');
    await running.flush();

    const observer = await openOutputRecord(cache, out, { isAlive: (pid) => pid !== 4_194_305 });
    const seen = await observer.locked(async (locked) => ({
      files: [...locked.files.keys()],
      inFlight: [...locked.inFlight],
      inFlightFolders: [...locked.inFlightFolders],
    }));
    expect(seen).toEqual({ files: ['killed.png'], inFlight: ['running.png'], inFlightFolders: ['running'] });
    const record = JSON.parse(await readFile(join(observer.dir, 'record.json'), 'utf8'));
    expect(Object.keys(record.files)).toEqual(['killed.png']);
    expect((await readdir(join(observer.dir, 'runs'))).length).toBe(1); // only the live run's

    await running.close();
    const after = await observer.locked(async (locked) => [...locked.files.keys()].sort());
    expect(after).toEqual(['killed.png', 'running.png']);
    await Promise.all([killed.close(), live.close(), observer.close()]);
  });

  it('the entry written last counts for a path', async () => {
    const first = await openOutputRecord(cache, out);
    const a = await first.startRun();
    a.fileWritten('x.png', { ...file('recipe/old'), at: '2030-01-01T00:00:00.000Z' });
    await a.close();
    const second = await openOutputRecord(cache, out);
    const b = await second.startRun();
    b.fileWritten('x.png', { ...file('recipe/new'), at: '2030-01-02T00:00:00.000Z' });
    await b.close();
    const asset = await second.locked(async (locked) => locked.files.get('x.png')?.asset);
    expect(asset).toBe('recipe/new');
    await Promise.all([first.close(), second.close()]);
  });

  it('a record of a newer format stops before anything is written, saying what to do', async () => {
    const record = await openOutputRecord(cache, out);
    await mkdir(record.dir, { recursive: true });
    await writeFile(
      join(record.dir, 'record.json'),
      JSON.stringify({ v: 99, outDir: out, files: {}, folders: [] }),
    );
    const refused = await openOutputRecord(cache, out).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(UsageError);
    expect((refused as Error).message).toMatch(/newer assetgen \(output record format 99.*nothing was run/);
    // Also when the version is not at the head (a record written by hand, keys in another order).
    await writeFile(join(record.dir, 'record.json'), JSON.stringify({ outDir: out, v: 99, files: {} }));
    await expect(openOutputRecord(cache, out)).rejects.toThrow(/output record format 99/);
    await record.close();
  });

  it('writes record.json as JSON.stringify(record, null, 1) would, files by path, from a streamed write', async () => {
    const record = await openOutputRecord(cache, out);
    const run = await record.startRun();
    const files = ['b/z.png', 'a.png', 'b/ä.webp', 'c"quote.png'];
    for (const path of files) run.fileWritten(path, file(`recipe/${path}`));
    run.folderCreated('b');
    run.folderCreated('a-folder');
    await run.close();
    const merged = await record.locked(async (locked) => [...locked.files.keys()].sort());
    expect(merged).toEqual([...files].sort());
    const text = await readFile(join(record.dir, 'record.json'), 'utf8');
    const parsed = JSON.parse(text) as { files: Record<string, RecordedFile>; folders: string[] };
    expect(Object.keys(parsed.files)).toEqual([...files].sort());
    expect(parsed.folders).toEqual(['a-folder', 'b']);
    expect(text).toBe(`${JSON.stringify(parsed, null, 1)}\n`);
    // No files and no folders: the empty forms.
    await record.locked(async (locked) => {
      locked.files.clear();
      locked.folders.clear();
    });
    const empty = await readFile(join(record.dir, 'record.json'), 'utf8');
    expect(empty).toBe(
      `${JSON.stringify({ v: 1, outDir: record.outDir, files: {}, folders: [] }, null, 1)}\n`,
    );
    await record.close();
  });

  it('one record per output folder, by its real path, in the cache folder only', async () => {
    const a = await openOutputRecord(cache, out);
    const b = await openOutputRecord(cache, join(dir, 'out', '..', 'out'));
    const other = await openOutputRecord(cache, join(dir, 'elsewhere', 'not-yet'));
    expect(a.dir).toBe(b.dir);
    expect(a.dir.startsWith(join(cache, 'outputs'))).toBe(true);
    expect(other.dir).not.toBe(a.dir);
    expect(other.outDir).toBe(join(dir, 'elsewhere', 'not-yet'));
    await Promise.all([a.close(), b.close(), other.close()]);
  });
});
