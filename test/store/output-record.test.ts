/**
 * The output record (store/output-record.ts) on real files: runs recording into one output folder at once
 * — each as its own owner, as separate processes would be — lose no entry, also when they merge the record
 * at the same time; a killed run's segment is folded in by the next one, a live run's entries are only
 * in flight; a record of a newer format stops the run before anything is written. The fold is streamed
 * (record.json in format 2, sorted lines; segments sorted in chunks spilled to a scratch folder) and gives
 * what merging everything in memory would; format 1 records and v1 segment lines still fold in.
 */
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  type LockedRecord,
  type OutputRecord,
  openOutputRecord,
  type RecordedFile,
} from '../../src/store/output-record.js';

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

/** The record's files as a map (a test's record is small). */
async function filesOf(locked: LockedRecord): Promise<Map<string, RecordedFile>> {
  const files = new Map<string, RecordedFile>();
  for await (const [path, recorded] of locked.files()) files.set(path, recorded);
  return files;
}

/** record.json's lines (format 2), parsed. */
async function recordLines(record: OutputRecord): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(record.dir, 'record.json'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

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
          expect((await filesOf(locked)).has(`r${run}/f49.png`)).toBe(true);
          await sleep((4 - run) * 40);
        });
        await record.close();
      }),
    );
    const check = await openOutputRecord(cache, out);
    const seen = await check.locked(async (locked) => ({
      files: (await filesOf(locked)).size,
      folders: [...locked.folders].sort(),
      inFlight: locked.inFlight.has('r0/f0.png'),
    }));
    expect(seen).toEqual({ files: 200, folders: ['r0', 'r1', 'r2', 'r3'], inFlight: false });
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
      files: [...(await filesOf(locked)).keys()],
      inFlight: [locked.inFlight.has('running.png'), locked.inFlight.has('killed.png')],
      inFlightFolders: [...locked.inFlightFolders],
    }));
    expect(seen).toEqual({ files: ['killed.png'], inFlight: [true, false], inFlightFolders: ['running'] });
    const lines = await recordLines(observer);
    expect(lines.filter((line) => line.kind === 'file').map((line) => line.path)).toEqual(['killed.png']);
    expect((await readdir(join(observer.dir, 'runs'))).length).toBe(1); // only the live run's

    await running.close();
    const after = await observer.locked(async (locked) => [...(await filesOf(locked)).keys()]);
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
    const asset = await second.locked(async (locked) => (await filesOf(locked)).get('x.png')?.asset);
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
    // A line record of a newer format says so in its first line.
    await writeFile(join(record.dir, 'record.json'), `${JSON.stringify({ v: 3, outDir: out })}\n{"v":3}\n`);
    await expect(openOutputRecord(cache, out)).rejects.toThrow(
      /output record format 3; this one reads up to 2/,
    );
    await record.close();
  });

  it('writes record.json in format 2: a header line, then one line an entry by path, a file before its folder', async () => {
    const record = await openOutputRecord(cache, out);
    const run = await record.startRun();
    const at = '2030-01-01T00:00:00.000Z';
    const files = ['b/z.png', 'a.png', 'b/ä.webp', 'c"quote.png', 'b'];
    for (const path of files) run.fileWritten(path, { ...file(`recipe/${path}`), at });
    run.folderCreated('b');
    run.folderCreated('a-folder');
    await run.close();
    const merged = await record.locked(async (locked) => [...(await filesOf(locked)).keys()]);
    expect(merged).toEqual([...files].sort());
    const text = await readFile(join(record.dir, 'record.json'), 'utf8');
    const lines = text.split('\n');
    expect(lines.pop()).toBe(''); // every line ends with \n
    expect(lines[0]).toBe(`{"v":2,"outDir":${JSON.stringify(record.outDir)}}`);
    const entries = lines
      .slice(1)
      .map((line) => JSON.parse(line) as { kind: string; path: string; at: string });
    expect(entries.map((entry) => `${entry.kind} ${entry.path}`)).toEqual([
      'folder a-folder',
      'file a.png',
      'file b',
      'folder b',
      'file b/z.png',
      'file b/ä.webp',
      'file c"quote.png',
    ]);
    // Each line is the segment line format, keys in its order.
    for (const [index, entry] of entries.entries())
      expect(lines[index + 1]).toBe(
        entry.kind === 'file'
          ? JSON.stringify({ v: 2, kind: 'file', path: entry.path, ...file(`recipe/${entry.path}`), at })
          : JSON.stringify({ v: 2, kind: 'folder', path: entry.path, at: entry.at }),
      );
    // No files and no folders: the header alone.
    await record.locked(async (locked) => {
      for await (const [path] of locked.files()) locked.forget(path);
      locked.folders.clear();
    });
    expect(await readFile(join(record.dir, 'record.json'), 'utf8')).toBe(
      `{"v":2,"outDir":${JSON.stringify(record.outDir)}}\n`,
    );
    expect(await record.locked(async (locked) => (await filesOf(locked)).size)).toBe(0);
    await record.close();
  });

  it('saves what the lock holder forgot and the folders it dropped, and nothing else changes', async () => {
    const record = await openOutputRecord(cache, out);
    const run = await record.startRun();
    for (const path of ['a/1.png', 'a/2.png', 'b/3.png']) run.fileWritten(path, file('recipe/x'));
    run.folderCreated('a');
    run.folderCreated('b');
    await run.close();
    await record.locked(async (locked) => {
      locked.forget('a/2.png');
      locked.folders.delete('b');
      // Forgotten at once for this holder too.
      expect([...(await filesOf(locked)).keys()]).toEqual(['a/1.png', 'b/3.png']);
    });
    const unchanged = await readFile(join(record.dir, 'record.json'), 'utf8');
    const seen = await record.locked(async (locked) => ({
      files: [...(await filesOf(locked)).keys()],
      folders: [...locked.folders],
    }));
    expect(seen).toEqual({ files: ['a/1.png', 'b/3.png'], folders: ['a'] });
    expect(await readFile(join(record.dir, 'record.json'), 'utf8')).toBe(unchanged);
    // The record is read while the lock is held only.
    let escaped: LockedRecord | undefined;
    await record.locked(async (locked) => {
      escaped = locked;
    });
    await expect(filesOf(escaped as LockedRecord)).rejects.toThrow(/only while its lock is held/);
    await record.close();
  });

  it('a fold of 40,000 segment entries in spilled chunks, merged in groups, gives what merging in memory gives', {
    timeout: 60_000,
  }, async () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % below;
    };
    // Few distinct times, so that many entries of one path tie on `at`.
    const at = () => new Date(Date.UTC(2030, 0, 1) + random(4) * 1000).toISOString();
    const entry = (asset: string): RecordedFile => ({ ...file(asset), bytes: random(1000), at: at() });
    const path = () => `d${random(30)}/p${random(600)}.png`;
    // A record of its own first (3,000 entries), folded in chunks of 1,000.
    const first = await openOutputRecord(cache, out, { sortChunk: 1000 });
    const seeded = await first.startRun();
    for (let i = 0; i < 3000; i++) seeded.fileWritten(path(), entry(`record/${i}`));
    await seeded.close();
    await first.locked(async () => {});
    await first.close();
    // Four finished segments of 10,000 entries each (and folders), paths repeated within and across them.
    for (let s = 0; s < 4; s++) {
      const writer = await openOutputRecord(cache, out);
      const run = await writer.startRun();
      for (let i = 0; i < 10_000; i++) {
        run.fileWritten(path(), entry(`segment${s}/${i}`));
        if (i % 500 === 0) run.folderCreated(`d${random(30)}`);
      }
      await run.close();
      await writer.close();
    }
    // What the in-memory rule gives: record, then segments by name, line by line; the latest `at`
    // wins, and on a tie the one read later.
    const expected = new Map<string, RecordedFile>();
    const folders = new Set<string>();
    const merge = (line: Record<string, unknown>) => {
      if (line.kind === 'folder') folders.add(line.path as string);
      if (line.kind !== 'file') return;
      const { v: _v, kind: _kind, path: at, ...recorded } = line;
      const known = expected.get(at as string);
      if (known === undefined || known.at <= (recorded as unknown as RecordedFile).at)
        expected.set(at as string, recorded as unknown as RecordedFile);
    };
    // Runs merged four at a time, level by level: over 40 chunks spilled, at most 3 run files a level left.
    const record = await openOutputRecord(cache, out, { sortChunk: 1000, mergeFan: 4 });
    for (const line of await recordLines(record)) merge(line);
    const runs = join(record.dir, 'runs');
    for (const name of (await readdir(runs)).sort())
      for (const line of (await readFile(join(runs, name), 'utf8')).split('\n'))
        if (line !== '') merge(JSON.parse(line));
    const spilled = await record.locked(async (locked) => ({
      files: await filesOf(locked),
      folders: new Set(locked.folders),
      scratch: await readdir(join(record.dir, 'sorting')).catch(() => []),
    }));
    // The segments were spilled as sorted runs, and those merged in groups as they came.
    expect(spilled.scratch.length).toBeGreaterThan(0);
    expect(spilled.scratch.length).toBeLessThanOrEqual(9);
    expect([...spilled.files.keys()]).toEqual([...expected.keys()].sort());
    expect(Object.fromEntries(spilled.files)).toEqual(Object.fromEntries(expected));
    expect(spilled.folders).toEqual(folders);
    // Written sorted, one line a path; the segments and the scratch folder are gone.
    const paths = (await recordLines(record)).filter((line) => line.kind === 'file').map((line) => line.path);
    expect(paths).toEqual([...expected.keys()].sort());
    expect(await readdir(runs)).toEqual([]);
    expect(await exists(join(record.dir, 'sorting'))).toBe(false);
    // Folded again (nothing new): the same.
    expect(Object.fromEntries(await record.locked(filesOf))).toEqual(Object.fromEntries(expected));
    await record.close();
  });

  it('reads a format 1 record.json and writes it back as format 2, losing nothing', async () => {
    const record = await openOutputRecord(cache, out);
    await mkdir(record.dir, { recursive: true });
    const old = {
      v: 1,
      outDir: record.outDir,
      files: {
        'z.png': file('recipe/z'),
        'a/b.png': { ...file('recipe/b'), bytes: 9 },
        'a/c.png': file('recipe/c'),
      },
      folders: ['a'],
    };
    await writeFile(join(record.dir, 'record.json'), `${JSON.stringify(old, null, 1)}\n`);
    const reopened = await openOutputRecord(cache, out);
    const seen = await reopened.locked(async (locked) => ({
      files: Object.fromEntries(await filesOf(locked)),
      folders: [...locked.folders],
    }));
    expect(seen).toEqual({ files: old.files, folders: ['a'] });
    const lines = await recordLines(reopened);
    expect(lines[0]).toEqual({ v: 2, outDir: record.outDir });
    expect(lines.slice(1).map((line) => `${line.kind} ${line.path}`)).toEqual([
      'folder a',
      'file a/b.png',
      'file a/c.png',
      'file z.png',
    ]);
    const again = await reopened.locked(async (locked) => Object.fromEntries(await filesOf(locked)));
    expect(again).toEqual(old.files);
    await Promise.all([record.close(), reopened.close()]);
  });

  it('a v1 segment line folds in; a hand-edited record out of order is still merged right', async () => {
    const record = await openOutputRecord(cache, out);
    await mkdir(join(record.dir, 'runs'), { recursive: true });
    const old = { ...file('recipe/old'), at: '2030-01-01T00:00:00.000Z' };
    // A finished run of an assetgen that wrote format 1 lines (no claim: its run is over).
    await writeFile(
      join(record.dir, 'runs', 'old-owner.jsonl'),
      `${JSON.stringify({ v: 1, kind: 'file', path: 'm.png', ...old })}\n` +
        `${JSON.stringify({ v: 1, kind: 'folder', path: 'm', at: old.at })}\n`,
    );
    // A record whose lines someone reordered, with a path twice.
    const header = JSON.stringify({ v: 2, outDir: record.outDir });
    const line = (path: string, recorded: RecordedFile) =>
      JSON.stringify({ v: 2, kind: 'file', path, ...recorded });
    const later = { ...file('recipe/later'), at: '2030-01-03T00:00:00.000Z' };
    await writeFile(
      join(record.dir, 'record.json'),
      [header, line('z.png', old), line('b.png', later), line('z.png', later), line('a.png', old), ''].join(
        '\n',
      ),
    );
    const seen = await record.locked(async (locked) => ({
      files: Object.fromEntries(await filesOf(locked)),
      folders: [...locked.folders],
    }));
    expect(seen).toEqual({
      files: { 'a.png': old, 'b.png': later, 'm.png': old, 'z.png': later },
      folders: ['m'],
    });
    expect((await recordLines(record)).slice(1).map((entry) => entry.path)).toEqual([
      'a.png',
      'b.png',
      'm',
      'm.png',
      'z.png',
    ]);
    await record.close();
  });

  it('clears the sorting folder a killed lock holder left', async () => {
    const record = await openOutputRecord(cache, out);
    const run = await record.startRun();
    run.fileWritten('kept.png', file('recipe/kept'));
    await run.close();
    const leftover = join(record.dir, 'sorting');
    await mkdir(leftover, { recursive: true });
    const ghost = JSON.stringify({ v: 2, kind: 'file', path: 'ghost.png', ...file('recipe/ghost') });
    for (const name of ['0.jsonl', '1.jsonl', '.record.json.1.tmp'])
      await writeFile(join(leftover, name), `${ghost}\n`);
    const seen = await record.locked(async (locked) => [...(await filesOf(locked)).keys()]);
    expect(seen).toEqual(['kept.png']);
    expect(await exists(leftover)).toBe(false);
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
