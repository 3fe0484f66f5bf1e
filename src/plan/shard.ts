/**
 * Shards: `--shard i/n` (1-based, as Playwright's) splits a plan's assets between n runners. An asset
 * instance belongs to the shard its stable key falls in — sha256 of the recipe's path (relative to the
 * caller's folder, `/`-separated), the asset id and the variant label — so the split is the same on every
 * machine and does not move when other assets or the recipe's steps change. Whole chains go together: an
 * asset's steps and outputs always run in its shard.
 */
import { relative, sep } from 'node:path';
import { expected, UsageError } from '../errors.js';
import { lazyList } from '../lazy-list.js';
import { sha256 } from '../store/hash.js';
import type { Plan, PlannedAsset, PlannedRecipe } from './plan.js';

export interface ShardSpec {
  /** 1-based. */
  index: number;
  count: number;
}

/** Most shards: a matrix beyond this is a mistake, not a plan. */
export const MAX_SHARDS = 1_000;

const SHARD_TEXT = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** `i/n` → a shard; UsageError naming the option and the expected form otherwise. */
export function parseShard(text: string, option = '--shard'): ShardSpec {
  const match = SHARD_TEXT.exec(text);
  const spec = match === null ? undefined : { index: Number(match[1]), count: Number(match[2]) };
  if (spec === undefined) {
    throw new UsageError(`${option}: ${expected('i/n such as 1/4 (shard i of n, 1-based)', option, text)}`);
  }
  checkShard(spec, option);
  return spec;
}

/** Throws UsageError when the shard is not i of n with 1 ≤ i ≤ n ≤ MAX_SHARDS. */
export function checkShard(spec: ShardSpec, option = 'shard'): void {
  const { index, count } = spec;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SHARDS)
    throw new UsageError(
      `${option}: ${expected(`a shard count from 1 to ${MAX_SHARDS}`, option, count)} (the n of i/n)`,
    );
  if (!Number.isInteger(index) || index < 1 || index > count)
    throw new UsageError(
      `${option}: ${expected(`a shard from 1 to ${count}`, option, index)} (the i of i/n, 1-based)`,
    );
}

export const shardLabel = (spec: ShardSpec): string => `shard-${spec.index}-of-${spec.count}`;

/** The stable key of an asset instance: what decides its shard. */
export function assetShardKey(recipePath: string, asset: PlannedAsset): string {
  return sha256(`${recipePath}\0${asset.instance.assetId}\0${asset.instance.variantLabel}`);
}

/** Which shard (1-based) of `count` a stable key falls in. */
export function shardOfKey(key: string, count: number): number {
  // 48 bits of the hash: exact in a double, and a uniform spread over any count up to MAX_SHARDS.
  return (Number.parseInt(key.slice(0, 12), 16) % count) + 1;
}

/** A recipe's path as shard keys use it: relative to `cwd`, `/`-separated. */
export function recipeShardPath(recipe: PlannedRecipe, cwd: string): string {
  return relative(cwd, recipe.loaded.file).split(sep).join('/');
}

/**
 * The plan of one shard: each recipe keeps the assets whose key falls in it (in plan order, each with
 * its index in the whole recipe) and a budget of its `budget.max_usd` ÷ n (whole with `divideBudgets:
 * false`, when the caller gives the shard its own budget). Recipes stay even when none
 * of their assets is in the shard, so every shard's manifest part names every recipe.
 */
export function selectShard(
  plan: Plan,
  spec: ShardSpec,
  cwd: string,
  options: { divideBudgets?: boolean } = {},
): Plan {
  checkShard(spec);
  return {
    shard: { index: spec.index, count: spec.count },
    recipes: plan.recipes.map((recipe) => {
      const path = recipeShardPath(recipe, cwd);
      // The positions of the shard's assets only: its assets stay lazy (src/lazy-list.ts).
      const whole = recipe.assets;
      const picked: number[] = [];
      for (const [position, asset] of whole.entries())
        if (shardOfKey(assetShardKey(path, asset), spec.count) === spec.index) picked.push(position);
      const positions = Uint32Array.from(picked);
      const assets = lazyList(positions.length, (i) => whole[positions[i] as number] as PlannedAsset);
      const shard: PlannedRecipe = { ...recipe, assets };
      if (recipe.maxUsd !== undefined && options.divideBudgets !== false)
        shard.maxUsd = recipe.maxUsd / spec.count;
      return shard;
    }),
  };
}
