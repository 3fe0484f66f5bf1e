/**
 * Files go only where they belong: the output folder refuses to write through a symbolic link that leads
 * out of it — checked at every write, before anything is created below the link — and failures that mean
 * "cannot write here" are one line with the path, the step, the reason and a hint.
 */
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WriteError } from '../../src/errors.js';
import { writeFileAtomic } from '../../src/store/atomic.js';
import { createOutputFolder } from '../../src/store/output-folder.js';
import { isWriteFailure, writeFailure } from '../../src/store/write-errors.js';

let base: string;
let out: string;
let elsewhere: string;
let source: string;

beforeEach(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'assetgen-out-')));
  out = join(base, 'out');
  elsewhere = join(base, 'elsewhere');
  await mkdir(elsewhere);
  source = join(base, 'source.png');
  await writeFile(source, 'pixels');
});
afterEach(() => rm(base, { recursive: true, force: true }));

const write = async (folder: ReturnType<typeof createOutputFolder>, relative: string) => {
  const destination = join(folder.root, relative);
  await folder.prepare(destination);
  await folder.copyIn(source, destination);
};

describe('createOutputFolder', () => {
  it('writes files and makes their folders inside the root', async () => {
    const folder = createOutputFolder(out);
    await write(folder, 'a/b/c.png');
    expect(await readFile(join(out, 'a', 'b', 'c.png'), 'utf8')).toBe('pixels');
  });

  it('refuses a folder that is a link out of the root, creating nothing below it', async () => {
    await mkdir(out);
    await symlink(elsewhere, join(out, 'products'));
    const folder = createOutputFolder(out);
    const error = await write(folder, 'products/deep/mug.png').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).code).toBe('OUTSIDE_OUTPUT');
    expect((error as WriteError).message).toBe(
      `refused to write into ${out}/products: it leads through a symbolic link to ${elsewhere}, outside the output folder ${out}; remove the link, or choose the folder you mean with --out`,
    );
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('refuses a folder replaced by a link after an earlier write into it', async () => {
    const folder = createOutputFolder(out);
    await write(folder, 'products/one.png');
    await rm(join(out, 'products'), { recursive: true });
    await symlink(elsewhere, join(out, 'products'));
    await expect(write(folder, 'products/two.png')).rejects.toThrow(/outside the output folder/);
    expect(await readdir(elsewhere)).toEqual([]);
  });

  it('allows links that stay inside the root, and a root that is itself a link', async () => {
    await mkdir(join(elsewhere, 'v2'), { recursive: true });
    await symlink(elsewhere, out);
    await symlink(join(elsewhere, 'v2'), join(elsewhere, 'latest'));
    const folder = createOutputFolder(out);
    await write(folder, 'latest/mug.png');
    expect(await readdir(join(elsewhere, 'v2'))).toEqual(['mug.png']);
  });

  it('a file in the way of a folder is one line that names it', async () => {
    const folder = createOutputFolder(out);
    await write(folder, 'products/one.png');
    await rm(join(out, 'products'), { recursive: true });
    await writeFile(join(out, 'products'), 'in the way');
    const error = await write(folder, 'products/two.png').catch((caught: unknown) => caught);
    expect((error as WriteError).message).toBe(
      `cannot write the output file ${out}/products/two.png: a file stands where a folder is needed (ENOTDIR); move ${out}/products away, or choose another folder with --out`,
    );
  });
});

describe('write failures', () => {
  const failure = (code: string) => Object.assign(new Error(`${code}: raw text, open '/x/.y.tmp'`), { code });
  it.each([
    [
      'ENOSPC',
      'DISK_FULL',
      'no space left on the disk (ENOSPC); free some space, or choose another folder with --cache-dir on another disk',
    ],
    [
      'EDQUOT',
      'DISK_QUOTA',
      'the disk quota is used up (EDQUOT); free some space or raise the quota, or choose another folder with --cache-dir',
    ],
    [
      'EACCES',
      'NO_PERMISSION',
      'permission denied (EACCES); make /data/cache/objects writable (chmod u+w), or choose another folder with --cache-dir',
    ],
    [
      'EROFS',
      'READ_ONLY',
      'the file system is read-only (EROFS); choose another folder with --cache-dir on a writable disk',
    ],
  ])('%s is one line with the path, the step and a hint', (errno, code, text) => {
    const error = writeFailure(failure(errno), {
      path: '/data/cache/objects/ab',
      doing: 'store the result in the cache',
      place: 'cache',
    });
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).code).toBe(code);
    expect((error as WriteError).message).toBe(
      `cannot store the result in the cache /data/cache/objects/ab: ${text}`,
    );
    expect(isWriteFailure(error)).toBe(true);
  });

  it('other errors pass through unchanged', () => {
    const other = failure('EBUSY');
    expect(writeFailure(other, { path: '/x', doing: 'write' })).toBe(other);
    expect(writeFailure(new Error('plain'), { path: '/x', doing: 'write' })).toBeInstanceOf(Error);
  });

  it('an atomic write into a folder that is a file names the final path, not the temporary one', async () => {
    await writeFile(join(base, 'blocker'), 'x');
    const error = await writeFileAtomic(join(base, 'blocker', 'lock.json'), '{}', {
      doing: 'write the lock file',
      place: 'lock',
    }).catch((caught: unknown) => caught);
    expect((error as WriteError).message).toBe(
      `cannot write the lock file ${base}/blocker/lock.json: a file stands where a folder is needed (EEXIST); move ${base}/blocker away, or choose another folder with --lock`,
    );
  });
});
