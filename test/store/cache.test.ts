import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCache, type TaskRecord } from '../../src/store/cache.js';

const sha = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

function recordFor(key: string, data: Buffer): TaskRecord {
  return {
    key,
    kind: 'model',
    created: '2026-01-01T00:00:00.000Z',
    durationMs: 1,
    files: [{ sha256: sha(data), bytes: data.length, contentType: 'image/png' }],
  };
}

describe('cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-cache-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('adopts a produced file and returns the record only while its object is intact', async () => {
    const cache = createCache(join(dir, 'cache'));
    const work = await cache.createWorkDir();
    const data = Buffer.from('pixels');
    await writeFile(join(work, 'out-0.png'), data);
    const files = await cache.adopt([
      { path: join(work, 'out-0.png'), sha256: sha(data), bytes: data.length, contentType: 'image/png' },
    ]);
    expect(await readdir(work)).toEqual([]);
    await cache.put(recordFor('k1', data));
    expect((await cache.get('k1'))?.files).toEqual(files);
    await writeFile(cache.objectPath(sha(data)), 'short');
    expect(await cache.get('k1')).toBeUndefined();
  });

  it('makes its folders again when they vanish during a run (cleared by another process)', async () => {
    const cache = createCache(join(dir, 'cache'));
    const data = Buffer.from('a');
    await cache.putBytes(data, sha(data), 'image/png');
    await cache.put(recordFor('k1', data));
    await cache.createWorkDir();
    await rm(join(dir, 'cache'), { recursive: true, force: true });
    await cache.putBytes(data, sha(data), 'image/png');
    await cache.put(recordFor('k1', data));
    expect(await cache.get('k1')).toBeDefined();
    expect(await readdir(await cache.createWorkDir())).toEqual([]);
  });
});
