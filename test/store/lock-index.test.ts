/**
 * openLock (store/lock-index.ts) on real files: the lock's tasks indexed on disk give exactly what
 * readLock gives — every entry, versions normalised, pins and deployments — for a lock of 20,000 tasks
 * with ids needing escapes and characters of several bytes (compact or indented, sorted or not); ids never
 * in it all miss; a lock renamed over the path after opening still reads as it was; a lock that is
 * missing, unreadable or not JSON reads as empty.
 */
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type LockedTask,
  type LockFileContent,
  lockTaskId,
  readLock,
  writeLock,
} from '../../src/store/lock.js';
import { openLock } from '../../src/store/lock-index.js';
import type { LockTasks, OpenLock } from '../../src/store/lock-tasks.js';

const PIN = 'f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa';
const hex = (n: number): string => n.toString(16).padStart(8, '0').repeat(8);
const task = (n: number): LockedTask => ({
  model: n % 2 === 0 ? 'black-forest-labs/flux-schnell' : 'nightmareai/real-esrgan',
  // Versions an older assetgen wrote (`hidden`, a deployment) read as null.
  version: n % 3 === 0 ? PIN : n % 3 === 1 ? 'hidden' : `dp-${hex(n).slice(0, 32)}`,
  input_hash: hex(n),
  upstream: n % 4 === 0 ? [] : [hex(n + 1), 'ü "quoted" \\ {}'],
  seed: n % 5 === 0 ? null : n,
  key: hex(n * 7),
  outputs: [`o${n}.png`],
  prediction_id: n % 7 === 0 ? null : `pred-${n}`,
  cost_usd: n % 6 === 0 ? null : n / 1000,
});
/** Ids with quotes, backslashes, control characters, `}` and `,`, accents and emoji. */
const idOf = (n: number): string => {
  const odd = ['', '"q"', '\\', '\t', '}{', ',:', 'é', '😀', '\u0000', 'ß/∆'][n % 10];
  return lockTaskId(`r${n % 3}/a${n}${odd}`, n % 2 ? 'up' : 'gen', n % 5 === 0 ? 'draft' : undefined);
};

const COUNT = 20_000;
function bigLock(): LockFileContent {
  const tasks: Record<string, LockedTask> = {};
  for (let n = 0; n < COUNT; n++) tasks[idOf(n)] = task(n);
  return {
    lockfile_version: 1,
    models: {
      'nightmareai/real-esrgan': { version: PIN, official: false, schema: 'abc' },
      'black-forest-labs/flux-schnell': { version: 'hidden', official: true },
    },
    tasks,
    deployments: {
      'acme/fast': { model: 'black-forest-labs/flux-schnell', version: PIN },
      'acme/old': { model: 'black-forest-labs/flux-schnell', version: 'dp-1' },
    },
  };
}

let dir: string;
const opened: OpenLock[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-lock-index-'));
});
afterEach(async () => {
  for (const lock of opened.splice(0)) await lock.close();
  await rm(dir, { recursive: true, force: true });
});

const open = async (path: string): Promise<OpenLock> => {
  const lock = await openLock(path);
  opened.push(lock);
  return lock;
};

async function allEntries(tasks: LockTasks): Promise<[string, LockedTask][]> {
  const all: [string, LockedTask][] = [];
  for await (const entry of tasks.entries()) all.push(entry);
  return all;
}

/** What readLock gives, with the entries by sorted id. */
async function asReadLockGives(path: string) {
  const whole = await readLock(path);
  const ids = Object.keys(whole.tasks).sort();
  return { whole, entries: ids.map((id) => [id, whole.tasks[id]] as [string, LockedTask]) };
}

async function expectSameAsReadLock(path: string): Promise<OpenLock> {
  const { whole, entries } = await asReadLockGives(path);
  const lock = await open(path);
  expect(lock.models).toEqual(whole.models);
  expect(lock.deployments).toEqual(whole.deployments);
  expect(lock.tasks.size).toBe(entries.length);
  expect(await allEntries(lock.tasks)).toEqual(entries);
  for (const [id, entry] of entries) {
    expect(lock.tasks.get(id)).toEqual(entry);
    expect(lock.tasks.has(id)).toBe(true);
  }
  return lock;
}

describe('openLock', () => {
  it('gives what readLock gives for 20,000 tasks, written by writeLock, compact, or out of order', async () => {
    const lock = bigLock();
    const path = join(dir, 'assetgen.lock');
    await writeLock(path, lock);
    const indexed = await expectSameAsReadLock(path);
    expect(indexed.tasks.get(idOf(3))?.version).toBe(PIN);
    expect(indexed.tasks.get(idOf(1))?.version).toBeNull();
    expect(indexed.tasks.get(idOf(2))?.version).toBeNull();
    expect(Object.keys(indexed.deployments ?? {})).toEqual(['acme/fast']);

    // Compact and in insertion order (not sorted), with one id twice: the last entry wins, as in JSON.parse.
    const compact = join(dir, 'compact.lock');
    const text = JSON.stringify({ ...lock, tasks: { ...lock.tasks } });
    const twice = `${JSON.stringify(idOf(7))}:${JSON.stringify(task(8))}`;
    await writeFile(
      compact,
      text
        .replace('"tasks":{', `"tasks":{${JSON.stringify(idOf(7))}:{"model":"x"},`)
        .replace(/}}(,"deployments")/, `},${twice}}$1`),
    );
    const edited = await expectSameAsReadLock(compact);
    expect(edited.tasks.get(idOf(7))?.input_hash).toBe(task(8).input_hash);
    expect(edited.tasks.size).toBe(COUNT);
  });

  it('misses every id not in the lock, also ids that differ by one character', async () => {
    const path = join(dir, 'assetgen.lock');
    await writeLock(path, bigLock());
    const lock = await open(path);
    let hits = 0;
    for (let n = 0; n < COUNT; n++) {
      const absent = n % 2 === 0 ? idOf(n + COUNT) : `${idOf(n)} `;
      if (lock.tasks.has(absent) || lock.tasks.get(absent) !== undefined) hits++;
    }
    expect(hits).toBe(0);
    expect(lock.tasks.get('')).toBeUndefined();
    expect(lock.tasks.get('__proto__')).toBeUndefined();
  });

  it('reads through the file it opened when a new lock is renamed over the path', async () => {
    const path = join(dir, 'assetgen.lock');
    const first = bigLock();
    await writeLock(path, first);
    const lock = await open(path);
    const other = join(dir, 'new.lock');
    await writeLock(other, { lockfile_version: 1, models: {}, tasks: { 'x/y#gen': task(1) } });
    await rename(other, path);
    expect(lock.tasks.get(idOf(11))).toEqual({ ...task(11), version: null });
    expect(lock.tasks.get('x/y#gen')).toBeUndefined();
    expect((await allEntries(lock.tasks)).length).toBe(COUNT);
    expect((await readLock(path)).tasks['x/y#gen']).toBeDefined();
  });

  it('reads a missing, unreadable or non-JSON lock as empty, as readLock does', async () => {
    const folder = join(dir, 'a-folder');
    await mkdir(folder);
    const paths = [join(dir, 'missing.lock'), folder];
    const texts = [
      '',
      'not json',
      '[1, 2]',
      'null',
      '{"tasks": {"a/b#gen": {"model": tru}}}',
      '{"tasks": {"a/b#gen": {"model": "m"}}',
      '{"tasks": {"a/b#gen": {"model": "m"}}} trailing',
      '{"models": {"m": {"version": nul}}, "tasks": {}}',
    ];
    for (const [i, text] of texts.entries()) {
      const path = join(dir, `bad-${i}.lock`);
      await writeFile(path, text);
      paths.push(path);
    }
    for (const path of paths) {
      expect(await readLock(path), path).toEqual({ lockfile_version: 1, models: {}, tasks: {} });
      const lock = await open(path);
      expect(lock.tasks.size, path).toBe(0);
      expect(lock.models).toEqual({});
      expect(lock.deployments).toBeUndefined();
      expect(await allEntries(lock.tasks)).toEqual([]);
      expect(lock.tasks.get('a/b#gen')).toBeUndefined();
    }
  });
});
