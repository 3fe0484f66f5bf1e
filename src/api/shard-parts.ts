/**
 * What a shard writes besides its outputs, in the output folder: its manifest part
 * (`manifest.shard-i-of-n.json`, a manifest of its assets with a `shard` record saying where they go in
 * the whole recipes) and, for paid runs, its lock part (`assetgen.lock.shard-i-of-n`: the lock entries
 * its tasks made, not yet merged into the lock). `assetgen merge` (api/merge.ts) turns the parts into
 * `manifest.json` and the lock. Both sit beside the outputs so that one folder per shard — one CI
 * artifact — carries everything the merge needs; the cache keeps all other state.
 */
import { readFile } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { ManifestError } from '../errors.js';
import type { ManifestProvider, ManifestShard } from '../manifest/types.js';
import type { Plan } from '../plan/plan.js';
import { type ShardSpec, shardLabel } from '../plan/shard.js';
import { writeFileAtomic } from '../store/atomic.js';
import { canonicalJson, sha256 } from '../store/hash.js';
import type { LockFileContent } from '../store/lock.js';

export const manifestPartName = (spec: ShardSpec): string => `manifest.${shardLabel(spec)}.json`;
export const lockPartName = (spec: ShardSpec): string => `assetgen.lock.${shardLabel(spec)}`;
export const MANIFEST_PART = /^manifest\.shard-(\d+)-of-(\d+)\.json$/;
export const LOCK_PART = /^assetgen\.lock\.shard-(\d+)-of-(\d+)$/;

export const LOCK_PART_VERSION = 1;

/** A shard's lock part: its run's lock (pins and the entries of its tasks) and whether it completed. */
export interface LockPart {
  lock_part_version: typeof LOCK_PART_VERSION;
  shard: ShardSpec;
  /** Every asset of the shard was made or restored (a complete run replaces its recipes' entries). */
  complete: boolean;
  /** The recipes the shard ran. */
  recipes: string[];
  models: LockFileContent['models'];
  tasks: LockFileContent['tasks'];
}

/** The `shard` record of a shard's manifest part. */
export function shardRecord(
  plan: Plan,
  spec: ShardSpec,
  provider: ManifestProvider,
  lock: { path: string; cwd: string } | null,
): ManifestShard {
  const recipes: ManifestShard['recipes'] = {};
  for (const recipe of plan.recipes) {
    recipes[recipe.name] = {
      sha256: sha256(recipe.loaded.source),
      assets: recipe.assetCount,
      positions: recipe.assets.map((asset) => asset.index),
    };
  }
  return {
    index: spec.index,
    count: spec.count,
    provider,
    lock: lock === null ? null : relative(lock.cwd, lock.path).split(sep).join('/'),
    recipes,
  };
}

export async function writeLockPart(path: string, part: LockPart): Promise<void> {
  const text = JSON.stringify(JSON.parse(canonicalJson(part)), null, 2);
  await writeFileAtomic(path, `${text}\n`, { doing: 'write the lock part', place: 'output' });
}

export async function readLockPart(path: string): Promise<LockPart> {
  let value: Partial<LockPart>;
  try {
    value = JSON.parse(await readFile(path, 'utf8')) as Partial<LockPart>;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it is missing' : `it cannot be read (${code ?? (error as Error).message})`;
    throw new ManifestError(
      code === 'ENOENT' ? 'SHARD_MISSING' : 'MANIFEST_INVALID',
      path,
      `the shard's lock part ${path}: ${why} (copy every shard's whole output folder before merging)`,
    );
  }
  const version = value.lock_part_version;
  if (typeof version !== 'number' || version > LOCK_PART_VERSION || typeof value.tasks !== 'object') {
    throw new ManifestError(
      'MANIFEST_INVALID',
      path,
      `${path} is not a lock part this assetgen reads (lock_part_version ${String(version)}); merge with the assetgen the shards ran`,
    );
  }
  return value as LockPart;
}
