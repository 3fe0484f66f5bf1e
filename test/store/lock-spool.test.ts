/**
 * The lock streamed from a spool, merged with the entries kept from the lock before (in memory, or
 * indexed on disk: store/lock-index.ts): the same bytes as the lock merged in memory and written whole.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mergeLock } from '../../src/api/lock-merge.js';
import { type LockedTask, type LockFileContent, lockTaskProfile, writeLock } from '../../src/store/lock.js';
import { openLock } from '../../src/store/lock-index.js';
import { openLockSpool } from '../../src/store/lock-spool.js';
import { sortedEntry } from '../../src/store/lock-stream.js';
import { type LockView, lockView } from '../../src/store/lock-tasks.js';

const PIN = 'f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa';
const task = (n: number, version: string | null = null): LockedTask => ({
  model: n % 2 === 0 ? 'black-forest-labs/flux-schnell' : 'nightmareai/real-esrgan',
  version,
  input_hash: `h${n}`,
  upstream: n % 3 === 0 ? [] : [`u${n}`, 'ü "quoted"'],
  seed: n % 5 === 0 ? null : n,
  key: `k${n}`,
  outputs: n % 4 === 0 ? [] : [`o${n}`, `p${n}`],
  prediction_id: n % 7 === 0 ? null : `pred-${n}`,
  cost_usd: n % 6 === 0 ? null : n / 1000,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-lock-spool-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The merge as it was done in memory before mergeLock streamed: the reference for the bytes. */
function mergedInMemory(
  before: LockFileContent,
  run: LockFileContent,
  recipes: string[],
  complete: boolean,
): LockFileContent {
  const ran = new Set(
    complete ? recipes.map((recipe) => (recipe.includes('@') ? recipe : `${recipe}@`)) : [],
  );
  const tasks = Object.fromEntries(
    Object.entries(before.tasks).filter(
      ([id]) => !ran.has(`${id.slice(0, id.indexOf('/'))}@${lockTaskProfile(id) ?? ''}`),
    ),
  );
  const deployments = { ...before.deployments, ...run.deployments };
  return {
    lockfile_version: 1,
    models: { ...before.models, ...run.models },
    tasks: { ...tasks, ...run.tasks },
    ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
  };
}

async function bothWays(
  before: LockFileContent,
  run: LockFileContent,
  recipes: string[],
  complete: boolean,
  /** The lock before as the run sees it (default: `before` in memory). */
  seen: LockView = lockView(before),
): Promise<[string, string]> {
  const whole = join(dir, 'whole.lock');
  await writeLock(whole, mergedInMemory(before, run, recipes, complete));
  const spool = await openLockSpool(join(dir, 'tmp'));
  // In any order, some ids twice (a retried step): the last entry wins, as in a Map.
  const ids = Object.keys(run.tasks).reverse();
  for (const id of ids) spool.set(id, task(999));
  for (const id of ids) spool.set(id, run.tasks[id] as LockedTask);
  const streamed = join(dir, 'streamed.lock');
  const { head, kept } = mergeLock(seen, { ...run, tasks: {} }, recipes, complete);
  await spool.writeLock(streamed, head, kept);
  return [await readFile(whole, 'utf8'), await readFile(streamed, 'utf8')];
}

describe('lock spool', () => {
  it('writes the bytes writeLock writes: kept and replaced entries, pins, deployments, versions', async () => {
    const before: LockFileContent = {
      lockfile_version: 1,
      models: { 'nightmareai/real-esrgan': { version: PIN, official: false, schema: 'abc' } },
      tasks: {
        'other/x#gen': task(1, 'dp-a557b7387b4940df25b23f779dc534c4'),
        'shots/a/k-1#gen': task(2),
        'shots/zz#gen@draft': task(3, PIN),
      },
      deployments: { 'acme/fast': { model: 'black-forest-labs/flux-schnell', version: PIN } },
    };
    const tasks: Record<string, LockedTask> = {};
    for (let n = 0; n < 60; n++)
      tasks[`shots/a${n}/k-${n % 7}#${n % 2 ? 'up' : 'gen'}`] = task(n, n % 3 ? PIN : 'hidden');
    tasks['shots/é#gen'] = task(61);
    const run: LockFileContent = {
      lockfile_version: 1,
      models: { 'black-forest-labs/flux-schnell': { version: null, official: true } },
      tasks,
    };
    for (const complete of [true, false]) {
      const [whole, streamed] = await bothWays(before, run, ['shots@'], complete);
      expect(streamed).toBe(whole);
    }
    expect((await readdir(join(dir, 'tmp'))).filter((name) => name.endsWith('.spool'))).toEqual([]);
  });

  it('reads a spool of several megabytes back across its read chunks', async () => {
    const empty: LockFileContent = { lockfile_version: 1, models: {}, tasks: {} };
    const tasks: Record<string, LockedTask> = {};
    for (let n = 0; n < 8_000; n++) tasks[`big/a${n}#gen`] = task(n, PIN);
    const [whole, streamed] = await bothWays(empty, { ...empty, tasks }, ['big@'], true);
    expect(whole.length).toBeGreaterThan(2 * 2 ** 20);
    expect(streamed).toBe(whole);
  });

  it('reads entries longer than its read buffer (1 MB) among short ones', async () => {
    const empty: LockFileContent = { lockfile_version: 1, models: {}, tasks: {} };
    const tasks: Record<string, LockedTask> = {};
    for (let n = 0; n < 40; n++) {
      const entry = task(n, PIN);
      // Every tenth entry holds ~0.6 MB of outputs: two of them do not fit in one read together.
      if (n % 10 === 3) entry.outputs = Array.from({ length: 9_000 }, (_, i) => `${'o'.repeat(60)}${i}`);
      tasks[`long/a${n}#gen`] = entry;
    }
    // And one whose line (id, tab, entry) is longer than the buffer itself: the entry 2^20 - 2 bytes long.
    const longest = task(99, PIN);
    longest.outputs = ['x'];
    const padding = 2 ** 20 - 2 - sortedEntry(longest).length;
    longest.outputs = ['x'.repeat(1 + padding)];
    expect(sortedEntry(longest).length).toBe(2 ** 20 - 2);
    tasks['long/the-longest-entry#gen'] = longest;
    const [whole, streamed] = await bothWays(empty, { ...empty, tasks }, ['long@'], true);
    expect(whole.length).toBeGreaterThan(3 * 2 ** 20);
    expect(streamed).toBe(whole);
  });

  it('writes an empty lock and one with entries from before only alike', async () => {
    const empty: LockFileContent = { lockfile_version: 1, models: {}, tasks: {} };
    let [whole, streamed] = await bothWays(empty, empty, ['shots@'], true);
    expect(streamed).toBe(whole);
    const before: LockFileContent = { ...empty, tasks: { 'other/x#gen': task(1) } };
    [whole, streamed] = await bothWays(before, empty, ['shots@'], true);
    expect(streamed).toBe(whole);
  });

  it('merges a lock before indexed on disk as the lock merged in memory: other recipes, profiles, overlaps', async () => {
    const tasks: Record<string, LockedTask> = {};
    for (let n = 0; n < 3_000; n++) {
      const recipe = ['shots', 'other', 'shots-b', 'ü'][n % 4];
      const profile = n % 5 === 0 ? '@draft' : n % 5 === 1 ? '@final' : '';
      tasks[`${recipe}/a${n}"${n % 3 ? '' : '\\é'}/k-${n % 7}#${n % 2 ? 'up' : 'gen'}${profile}`] = task(
        n,
        n % 3 ? PIN : 'hidden',
      );
    }
    const before: LockFileContent = {
      lockfile_version: 1,
      models: { 'nightmareai/real-esrgan': { version: PIN, official: false, schema: 'abc' } },
      tasks,
      deployments: { 'acme/fast': { model: 'black-forest-labs/flux-schnell', version: PIN } },
    };
    const beforePath = join(dir, 'assetgen.lock');
    await writeLock(beforePath, before);
    // The run re-made half the entries of `shots` (default profile and draft), and some new ones.
    const ran: Record<string, LockedTask> = {};
    for (const [i, id] of Object.keys(tasks).entries())
      if (id.startsWith('shots/') && i % 2 === 0) ran[id] = task(i + 10_000, PIN);
    for (let n = 0; n < 500; n++) ran[`shots/new${n}#gen${n % 2 ? '@draft' : ''}`] = task(n + 20_000);
    const run: LockFileContent = {
      lockfile_version: 1,
      models: { 'black-forest-labs/flux-schnell': { version: null, official: true } },
      tasks: ran,
    };
    for (const recipes of [['shots@'], ['shots@draft', 'other@']])
      for (const complete of [true, false]) {
        const indexed = await openLock(beforePath);
        try {
          expect(indexed.tasks.size).toBe(3_000);
          const [whole, streamed] = await bothWays(before, run, recipes, complete, indexed);
          expect(streamed).toBe(whole);
        } finally {
          await indexed.close();
        }
      }
  });

  it('gives its entries back for a shard part; discard leaves no spool', async () => {
    const spool = await openLockSpool(dir);
    spool.set('r/a#gen', task(1, PIN));
    spool.set('r/b#gen', task(2));
    expect(await spool.entries()).toEqual({ 'r/a#gen': task(1, PIN), 'r/b#gen': task(2) });
    await spool.discard();
    expect(await readdir(dir)).toEqual([]);
  });
});
