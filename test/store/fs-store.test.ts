import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createFsStore } from '../../src/store/fs-store.js';
import { storeContract } from './contract.js';

const folders: string[] = [];
const fresh = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'assetgen-fs-store-'));
  folders.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(folders.map((dir) => rm(dir, { recursive: true, force: true })));
});

storeContract('filesystem', { open: async () => createFsStore(await fresh()) });

describe('filesystem store', () => {
  it('keeps the cache folder layout: a key is the file at that path, and leaves no temporaries', async () => {
    const dir = await fresh();
    const store = createFsStore(dir);
    await store.put('tasks/ab/abc.json', '{"a":1}');
    expect(await readFile(join(dir, 'tasks', 'ab', 'abc.json'), 'utf8')).toBe('{"a":1}');
    await writeFile(join(dir, 'tasks', 'ab', 'old.json'), 'written before');
    expect((await store.get('tasks/ab/old.json'))?.body.toString()).toBe('written before');
    const etag = (await store.head('tasks/ab/abc.json'))?.etag ?? '';
    await store.put('tasks/ab/abc.json', 'x', { ifMatch: etag });
    await store.putIfAbsent('tasks/ab/abc.json', 'y');
    expect((await readdir(join(dir, 'tasks', 'ab'))).sort()).toEqual(['abc.json', 'old.json']);
  });

  it('clears a replace lock left by a killed process', async () => {
    const dir = await fresh();
    const store = createFsStore(dir);
    await store.put('claims/k.json', 'one');
    await writeFile(
      join(dir, 'claims', '.k.json.lock'),
      JSON.stringify({ host: 'elsewhere', pid: 1, at: '' }),
    );
    const { utimes } = await import('node:fs/promises');
    const old = new Date(Date.now() - 60_000);
    await utimes(join(dir, 'claims', '.k.json.lock'), old, old);
    const etag = (await store.head('claims/k.json'))?.etag ?? '';
    expect(await store.put('claims/k.json', 'two', { ifMatch: etag })).toBe(true);
    expect(await readdir(join(dir, 'claims'))).toEqual(['k.json']);
  });
});
