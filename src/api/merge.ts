/**
 * `mergeShards` (`assetgen merge`): the parts the shards of one run wrote into an output folder become
 * `manifest.json` and the lock, exactly as one runner would have written them: each recipe's entries in
 * plan order (the parts say where each asset goes), the top's provider and placeholder count over all
 * of them, the recipes of an earlier manifest.json that the shards did not run kept, and the lock parts
 * merged into the lock the way a run merges its own entries. The outputs themselves are already in place
 * (each shard wrote its own). Refused, with nothing written, when a part is missing, when the parts come
 * from different shard counts, different recipe texts or different assetgen versions, or when shards
 * pinned a model at different versions. The parts are removed once the manifest and the lock are written.
 */
import { readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ManifestError } from '../errors.js';
import { readManifest } from '../manifest/read.js';
import { openManifestStream } from '../manifest/stream.js';
import type { Manifest, ManifestShard } from '../manifest/types.js';
import { MANIFEST_FILE, readExistingRecipes } from '../manifest/write.js';
import type { LockFileContent } from '../store/lock.js';
import { openLock } from '../store/lock-index.js';
import { writeMergedLock } from '../store/lock-stream.js';
import { mergeLock } from './lock-merge.js';
import { DEFAULT_OUT_DIR } from './options.js';
import {
  LOCK_PART,
  type LockPart,
  lockPartName,
  MANIFEST_PART,
  manifestPartName,
  readLockPart,
} from './shard-parts.js';

export interface MergeShardsOptions {
  /** The output folder holding every shard's outputs and parts. Default `output`. */
  out?: string;
  /** Folder that relative paths resolve against (and the parts' lock path). Default: `process.cwd()`. */
  cwd?: string;
  /** The lock to merge the lock parts into. Default: the one the shards name (their `--lock`). */
  lock?: string;
}

export interface MergeReport {
  /** How many shards were merged. */
  shards: number;
  recipes: string[];
  assets: number;
  manifestPath: string;
  /** The lock written, or null when the shards wrote no lock parts (free providers, `--frozen`). */
  lockPath: string | null;
  /** The part files removed. */
  removed: string[];
}

interface FoundPart {
  index: number;
  count: number;
  file: string;
}

export async function mergeShards(options: MergeShardsOptions = {}): Promise<MergeReport> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.out ?? DEFAULT_OUT_DIR);
  const names = await readdir(outDir).catch((error: NodeJS.ErrnoException) => {
    throw new ManifestError(
      'SHARD_MISSING',
      outDir,
      `cannot read ${outDir} (${error.code ?? error.message})`,
    );
  });
  const manifests = found(names, MANIFEST_PART);
  const locks = found(names, LOCK_PART);
  const count = shardCount(outDir, manifests, locks);
  // First pass: every part's shard record, checked against the others (entries are read in the second).
  const records: Array<{ file: string; shard: ManifestShard; generator: string }> = [];
  const places = new Map<string, { source: string; output: string }>();
  for (let index = 1; index <= count; index++) {
    const file = join(outDir, manifestPartName({ index, count }));
    const part = await readManifest(file);
    const shard = part.shard;
    if (shard?.index !== index || shard.count !== count)
      throw mismatch(file, `${file} does not record itself as shard ${index} of ${count}; it was renamed`);
    records.push({ file, shard, generator: part.generator.version });
    for (const [name, recipe] of Object.entries(part.recipes))
      places.set(name, { source: recipe.source, output: recipe.output });
  }
  const first = records[0] as (typeof records)[number];
  checkSameRun(records);
  const recipes = Object.keys(first.shard.recipes);

  const lockPath = await lockOf(records, options, cwd);
  const lockParts: LockPart[] = [];
  if (lockPath !== null)
    for (let index = 1; index <= count; index++)
      lockParts.push(await readLockPart(join(outDir, lockPartName({ index, count }))));
  const merged = lockPath === null ? null : mergedLockParts(lockParts, lockPath);

  const stream = await openManifestStream(
    outDir,
    recipes.map((name) => ({
      name,
      ...(places.get(name) ?? { source: '', output: '' }),
      count: first.shard.recipes[name]?.assets ?? 0,
    })),
  );
  let assets = 0;
  try {
    for (const { file, shard } of records) {
      const part: Manifest = await readManifest(file);
      for (const [recipeIndex, name] of recipes.entries()) {
        const entries = part.recipes[name];
        const positions = shard.recipes[name]?.positions ?? [];
        if (entries === undefined || entries.assets.length !== positions.length)
          throw mismatch(
            file,
            `${file}: recipe ${name} has ${entries?.assets.length ?? 0} entries for ${positions.length} places`,
          );
        for (const [i, entry] of entries.assets.entries()) {
          await stream.add(recipeIndex, positions[i] as number, entry);
          assets++;
        }
      }
    }
  } catch (error) {
    await stream.discard();
    throw error instanceof RangeError ? mismatch(outDir, `the parts overlap: ${error.message}`) : error;
  }
  const written = await stream
    .finish({
      file: MANIFEST_FILE,
      generatorVersion: first.generator,
      fallback: first.shard.provider,
      others: await readExistingRecipes(outDir, (name) => recipes.includes(name)),
    })
    .catch((error: unknown) => {
      throw error instanceof RangeError ? mismatch(outDir, `a part lacks entries: ${error.message}`) : error;
    });
  if (lockPath !== null && merged !== null) {
    const before = await openLock(lockPath);
    try {
      const { head, kept } = mergeLock(before, merged.lock, recipes, merged.complete);
      await writeMergedLock(lockPath, head, kept);
    } finally {
      await before.close();
    }
  }
  const removed = [...manifests, ...(lockPath === null ? [] : locks)].map((part) => join(outDir, part.file));
  for (const path of removed) await rm(path, { force: true });
  return { shards: count, recipes, assets, manifestPath: written.path, lockPath, removed };
}

function found(names: readonly string[], pattern: RegExp): FoundPart[] {
  const parts: FoundPart[] = [];
  for (const file of names) {
    const match = pattern.exec(file);
    if (match !== null) parts.push({ index: Number(match[1]), count: Number(match[2]), file });
  }
  return parts.sort((a, b) => a.count - b.count || a.index - b.index);
}

const mismatch = (path: string, message: string) => new ManifestError('SHARD_MISMATCH', path, message);

/** The one shard count of the parts; refuses parts of different counts and missing shards. */
function shardCount(outDir: string, manifests: FoundPart[], locks: FoundPart[]): number {
  if (manifests.length === 0)
    throw new ManifestError(
      'SHARD_MISSING',
      outDir,
      `no shard parts in ${outDir} (assetgen run --shard i/n writes manifest.shard-i-of-n.json there); nothing was merged`,
    );
  const counts = [...new Set([...manifests, ...locks].map((part) => part.count))];
  if (counts.length > 1)
    throw mismatch(
      outDir,
      `${outDir} holds parts of different shard counts (${counts.map((n) => `of ${n}`).join(', ')}): ${[...manifests, ...locks].map((part) => part.file).join(', ')}; keep the parts of one run only; nothing was merged`,
    );
  const count = counts[0] as number;
  const missing: number[] = [];
  for (let index = 1; index <= count; index++)
    if (!manifests.some((part) => part.index === index)) missing.push(index);
  if (missing.length > 0)
    throw new ManifestError(
      'SHARD_MISSING',
      outDir,
      `shard ${missing.join(', ')} of ${count} ${missing.length === 1 ? 'is' : 'are'} missing: no ${missing.map((index) => manifestPartName({ index, count })).join(', ')} in ${outDir} (copy every shard's output folder there, or run the missing shard); nothing was merged`,
    );
  return count;
}

/** Every part ran the same recipes (same texts), with the same assetgen and provider. */
function checkSameRun(
  records: ReadonlyArray<{ file: string; shard: ManifestShard; generator: string }>,
): void {
  const [first, ...rest] = records;
  if (first === undefined) return;
  const label = (record: { shard: ManifestShard }) => `shard ${record.shard.index}`;
  for (const other of rest) {
    if (other.generator !== first.generator)
      throw mismatch(
        other.file,
        `${label(first)} was made by assetgen ${first.generator} and ${label(other)} by ${other.generator}: run every shard with the same assetgen; nothing was merged`,
      );
    if (other.shard.provider.name !== first.shard.provider.name)
      throw mismatch(
        other.file,
        `${label(first)} ran on ${first.shard.provider.name} and ${label(other)} on ${other.shard.provider.name}: run every shard with the same provider; nothing was merged`,
      );
    const names = new Set([...Object.keys(first.shard.recipes), ...Object.keys(other.shard.recipes)]);
    for (const name of names) {
      const a = first.shard.recipes[name];
      const b = other.shard.recipes[name];
      if (a === undefined || b === undefined)
        throw mismatch(
          other.file,
          `recipe ${name} was run by ${a === undefined ? label(other) : label(first)} only: every shard must run the same recipes; nothing was merged`,
        );
      if (a.sha256 !== b.sha256 || a.assets !== b.assets)
        throw mismatch(
          other.file,
          `recipe ${name} differs between ${label(first)} and ${label(other)} (the recipe file changed between them): run every shard from the same commit; nothing was merged`,
        );
    }
  }
}

/** The lock the parts merge into: `options.lock`, else the one every shard names; null without lock parts. */
async function lockOf(
  records: ReadonlyArray<{ file: string; shard: ManifestShard }>,
  options: MergeShardsOptions,
  cwd: string,
): Promise<string | null> {
  const named = [...new Set(records.map((record) => record.shard.lock))];
  if (named.length > 1)
    throw mismatch(
      records[0]?.file ?? '',
      `the shards name different locks (${named.map(String).join(', ')}): run them with the same --lock; nothing was merged`,
    );
  const [lock] = named;
  if (lock === null || lock === undefined) return null;
  return resolve(cwd, options.lock ?? lock);
}

/** The lock entries of every shard as one run's, and whether every shard completed. */
function mergedLockParts(
  parts: readonly LockPart[],
  lockPath: string,
): { lock: LockFileContent; complete: boolean } {
  const lock: LockFileContent = { lockfile_version: 1, models: {}, tasks: {} };
  for (const part of parts) {
    for (const [model, pin] of Object.entries(part.models)) {
      const earlier = lock.models[model];
      if (earlier !== undefined && earlier.version !== pin.version)
        throw mismatch(
          lockPath,
          `the shards ran ${model} at different versions (${earlier.version ?? 'none'}, ${pin.version ?? 'none'}): pin it in ${lockPath} (assetgen update), commit the lock and run the shards again; nothing was merged`,
        );
      lock.models[model] = pin;
    }
    Object.assign(lock.tasks, part.tasks);
  }
  return { lock, complete: parts.every((part) => part.complete) };
}
