/**
 * Pre-flight: before a run makes its first request, prove that it can write what it will write — the
 * output folder (and every planned output folder below it: it must really lie inside it, links
 * followed), the cache folder and the lock file — by creating and removing a small file in each place
 * (or in the closest folder that exists, which the run would create it in). Every failure is one line;
 * all of them come in one PreflightError (nothing was run, nothing was spent).
 */
import { randomBytes } from 'node:crypto';
import { access, constants, open, realpath, rm, stat, statfs } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { PreflightError, WriteError } from '../errors.js';
import type { Plan } from '../plan/plan.js';
import { isInside, nearestExisting, outsideOutputError } from '../store/output-folder.js';
import { type WritePlace, writeFailure } from '../store/write-errors.js';
import { removeLeftovers } from './leftovers.js';

/** Less free space than this on a disk the run writes to is worth a warning. */
export const LOW_DISK_BYTES = 64 * 1024 * 1024;

export interface PreflightOptions {
  /** The output folder, when the run writes outputs and a manifest. */
  outDir?: string;
  cacheDir: string;
  /** The lock file, when the run writes one (paid runs). */
  lockPath?: string;
}

export interface PreflightReport {
  /** Not fatal, worth saying (little free disk space). */
  warnings: string[];
}

/** Throws PreflightError listing every place the run could not write. */
export async function preflight(plan: Plan, options: PreflightOptions): Promise<PreflightReport> {
  const failures: WriteError[] = [];
  const warnings: string[] = [];
  const probed = new Set<string>();
  const check = async (target: Target): Promise<void> => {
    let folder: string | undefined;
    try {
      const place = await placeOf(target);
      folder = place.folder;
      // Each folder once per kind of place (the same cause is reported once for --out, --cache-dir, --lock).
      const key = `${target.place}\n${folder}`;
      if (probed.has(key)) return;
      probed.add(key);
      if (!place.isDirectory) throw fsError('ENOTDIR', `${folder} is not a folder`);
      // What a killed run left in the output folder goes first (only outputs and the manifest stay there).
      if (target.place === 'output') await removeLeftovers(folder);
      await probeFolder(folder, warnings);
    } catch (error) {
      const failure = writeFailure(error, { ...target, ...(folder === undefined ? {} : { folder }) });
      if (!(failure instanceof WriteError)) throw error;
      failures.push(failure);
    }
  };

  if (options.outDir !== undefined) {
    const outDir = resolve(options.outDir);
    await check({ path: outDir, doing: 'write the output folder', place: 'output' });
    await check({
      path: join(outDir, 'manifest.json'),
      doing: 'write the manifest',
      place: 'output',
      file: 'replaced',
    });
    if (failures.length === 0) failures.push(...(await checkOutputFolders(plan, outDir)));
  }
  const cacheDir = resolve(options.cacheDir);
  for (const folder of [cacheDir, join(cacheDir, 'objects'), join(cacheDir, 'tasks'), join(cacheDir, 'tmp')])
    await check({ path: folder, doing: 'write the cache folder', place: 'cache' });
  await check({
    path: join(cacheDir, 'journal.jsonl'),
    doing: 'write the journal',
    place: 'cache',
    file: 'appended',
  });
  if (options.lockPath !== undefined) {
    await check({
      path: resolve(options.lockPath),
      doing: 'write the lock file',
      place: 'lock',
      file: 'replaced',
    });
  }
  if (failures.length > 0) throw new PreflightError(failures);
  return { warnings: [...new Set(warnings)] };
}

interface Target {
  path: string;
  doing: string;
  place: WritePlace;
  /** A file the run writes (through a rename in its folder, or appended to), rather than a folder. */
  file?: 'replaced' | 'appended';
}

const fsError = (code: string, message: string) => Object.assign(new Error(message), { code });

/**
 * The folder the run will create entries in for `target`: itself (a folder), its folder (a file), or the
 * closest one that exists above it — and whether that is a folder at all.
 */
async function placeOf(target: Target): Promise<{ folder: string; isDirectory: boolean }> {
  const existing = await nearestExisting(target.path);
  if (existing.path !== target.path || target.file === undefined) {
    return { folder: existing.path, isDirectory: existing.isDirectory };
  }
  if (existing.isDirectory) throw fsError('EISDIR', `${target.path} is a folder`);
  if (target.file === 'appended') await access(target.path, constants.W_OK);
  return { folder: dirname(target.path), isDirectory: true };
}

/** Creates, writes, flushes and removes a small file in `folder`: the run's own writes, in miniature. */
async function probeFolder(folder: string, warnings: string[]): Promise<void> {
  const name = join(folder, `.assetgen-preflight-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(name, 'wx');
  try {
    await handle.writeFile('assetgen pre-flight check\n');
    await handle.sync();
  } finally {
    await handle.close();
    await rm(name, { force: true });
  }
  const space = await statfs(folder).catch(() => undefined);
  if (space !== undefined) {
    const free = space.bavail * space.bsize;
    if (free < LOW_DISK_BYTES)
      warnings.push(`only ${(free / (1024 * 1024)).toFixed(1)} MiB free on the disk of ${folder}`);
  }
}

/**
 * Every folder the plan writes output files into must lie inside the output folder once links are
 * followed (the part of it that exists already); folders that exist must be writable.
 */
async function checkOutputFolders(plan: Plan, outDir: string): Promise<WriteError[]> {
  const failures: WriteError[] = [];
  let rootReal: string;
  try {
    rootReal = await realpath((await nearestExisting(outDir)).path);
  } catch {
    return failures;
  }
  const folders = new Set<string>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const output of asset.outputs)
        for (const file of output.files) {
          // Paths that wait for step texts are known only up to the recipe's output folder.
          const known = output.pathNeedsText
            ? file.path.slice(0, file.path.length - output.spec.path.length)
            : file.path;
          folders.add(dirname(resolve(outDir, known)));
        }
  const checked = new Map<string, Promise<WriteError | undefined>>();
  const checkFolder = (folder: string): Promise<WriteError | undefined> => {
    let verdict = checked.get(folder);
    if (verdict === undefined) {
      verdict = folderVerdict(folder, outDir, rootReal);
      checked.set(folder, verdict);
    }
    return verdict;
  };
  for (const folder of folders) {
    const existing = await nearestExisting(folder).catch(() => undefined);
    if (existing === undefined || !isInside(existing.path, outDir)) continue;
    const failure = await checkFolder(existing.path);
    if (failure !== undefined) failures.push(failure);
  }
  return failures;
}

async function folderVerdict(
  folder: string,
  outDir: string,
  rootReal: string,
): Promise<WriteError | undefined> {
  try {
    const info = await stat(folder);
    const real = await realpath(folder);
    if (!isInside(real, rootReal)) return outsideOutputError(folder, real, outDir);
    if (!info.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    await access(folder, constants.W_OK);
    return undefined;
  } catch (error) {
    const failure = writeFailure(error, { path: folder, doing: 'write into', place: 'output', folder });
    return failure instanceof WriteError ? failure : undefined;
  }
}
