/** `assetgen.lock`: only version ids are versions — official models' `hidden` / `dp-…` never pin. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyLock, type LockedTask, lockMismatch, readLock, writeLock } from '../../src/store/lock.js';

const PIN = 'f121d640bd286e1fdc67f9799164c1d5be36ff74576ee11c803ae5b665dd46aa';
const task = (version: string | null): LockedTask => ({
  model: 'black-forest-labs/flux-schnell',
  version,
  input_hash: 'h',
  upstream: [],
  seed: 1,
  key: 'k',
  outputs: [],
  prediction_id: 'p',
  cost_usd: 0.003,
});

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('lock versions', () => {
  it('reads a deployment id or hidden, written by an older assetgen, as no version; keeps version ids', async () => {
    const path = join(dir, 'assetgen.lock');
    await writeFile(
      path,
      JSON.stringify({
        lockfile_version: 1,
        models: { 'black-forest-labs/flux-schnell': { version: 'hidden', official: true } },
        tasks: {
          'r/a#gen': task('dp-a557b7387b4940df25b23f779dc534c4'),
          'r/b#gen': task('d-c6559c5791b50af57b69f4a73f8e021c'),
          'r/a#up': { ...task(PIN), model: 'nightmareai/real-esrgan' },
        },
      }),
    );
    const lock = await readLock(path);
    expect(lock.models['black-forest-labs/flux-schnell']).toEqual({ version: null, official: true });
    expect(lock.tasks['r/a#gen']?.version).toBeNull();
    expect(lock.tasks['r/b#gen']?.version).toBeNull();
    expect(lock.tasks['r/a#up']?.version).toBe(PIN);
  });

  it('never writes a deployment id as a version', async () => {
    const path = join(dir, 'assetgen.lock');
    const lock = emptyLock();
    lock.tasks['r/a#gen'] = task('dp-a557b7387b4940df25b23f779dc534c4');
    await writeLock(path, lock);
    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('dp-');
    expect(JSON.parse(text).tasks['r/a#gen'].version).toBeNull();
  });

  it('a moved deployment is no mismatch; a moved version id is', () => {
    const current = { version: null, inputHash: 'h', upstream: [] };
    expect(lockMismatch(task('dp-a557b7387b4940df25b23f779dc534c4'), current)).toBeUndefined();
    expect(lockMismatch(task(PIN), { ...current, version: 'e'.repeat(64) })).toContain('version moved');
  });

  it('an unreadable lock reads as empty', async () => {
    const path = join(dir, 'assetgen.lock');
    for (const text of ['', 'null', '[', '42']) {
      await writeFile(path, text);
      expect(await readLock(path)).toEqual(emptyLock());
    }
  });
});
