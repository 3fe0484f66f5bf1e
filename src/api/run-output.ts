/**
 * Where a run's results go: each asset's entry into the streamed manifest as it finishes (so a run of
 * 100,000 assets holds none of them), the problems (assets that did not finish) for the report, and at
 * the end `manifest.json` — or, for a shard, its manifest part — and the lock or the shard's lock part.
 * Nothing is written over the manifest until the run is done: a run that throws leaves it as it was.
 */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { SourceLocation } from '../errors.js';
import { type HashedStringSet, hashedStringSet } from '../hashed-string-set.js';
import { providerEntry } from '../manifest/placeholders.js';
import { type ManifestStream, openManifestStream } from '../manifest/stream.js';
import type { Manifest, ManifestAsset } from '../manifest/types.js';
import { MANIFEST_FILE, readExistingRecipes } from '../manifest/write.js';
import type { Plan } from '../plan/plan.js';
import type { RunResult } from '../run/runner.js';
import { type LockEntrySink, openLockSpool } from '../store/lock-spool.js';
import type { LockView } from '../store/lock-tasks.js';
import { VERSION } from '../version.js';
import { mergeLock } from './lock-merge.js';
import { lockPartName, manifestPartName, shardRecord, writeLockPart } from './shard-parts.js';

/** An asset that did not finish, and why. */
export interface AssetProblem {
  /** `recipe/asset[/variant]` */
  asset: string;
  status: 'failed' | 'skipped' | 'cancelled';
  error: string;
  /** Where the asset is declared in its recipe (file absolute). */
  location: SourceLocation;
}

export interface RunOutputOptions {
  plan: Plan;
  outDir: string;
  cwd: string;
  /** The run's provider. */
  provider: string;
  locate: (assetKey: string) => SourceLocation;
  /** Read the written manifest back into the report. */
  returnManifest: boolean;
  /** Where the manifest's spool goes while the run lasts (the cache's `tmp/`). */
  spoolDir?: string;
  /** The lock the run writes (paid runs), and as it was before; null when it writes none. */
  lock: { path: string; before: LockView } | null;
}

export interface RunOutput {
  /** For `RunOptions.onAsset`: streams the entry, notes a problem. */
  onAsset(recipeIndex: number, position: number, entry: ManifestAsset): Promise<void>;
  readonly problems: AssetProblem[];
  /**
   * Every path the written manifest lists (its own name included): this run's outputs and those of the
   * recipes it kept from before. Complete once `writeManifest` has run.
   */
  listedPaths(): HashedStringSet;
  /** Writes the manifest (or the shard's part); returns it read back when asked, and its path. */
  writeManifest(): Promise<{ manifest: Manifest | null; path: string }>;
  /** Writes the lock, or the shard's lock part beside the outputs (nothing when the run writes no lock). */
  writeLock(result: RunResult, complete: boolean): Promise<boolean>;
  /** For `RunOptions.lockEntries`: a spool when the run writes a lock (lock-spool.ts), else nowhere. */
  readonly lockEntries: LockEntrySink;
  /** Writes nothing more; drops the spools (after `writeManifest`, the manifest stays as written). */
  discard(): Promise<void>;
}

/** Where lock entries go in a run that writes no lock. */
export const NO_LOCK: LockEntrySink = { set: () => undefined };

export async function openRunOutput(options: RunOutputOptions): Promise<RunOutput> {
  const { plan, outDir } = options;
  const stream: ManifestStream = await openManifestStream(
    outDir,
    plan.recipes.map((recipe) => ({
      name: recipe.name,
      source: relative(options.cwd, recipe.loaded.file),
      output: recipe.outputFolder,
      count: recipe.assets.length,
      ...(recipe.profile === undefined ? {} : { profile: recipe.profile }),
    })),
    options.spoolDir ?? outDir,
  );
  const { lock } = options;
  const lockSpool = lock === null ? undefined : await openLockSpool(options.spoolDir ?? outDir);
  const problems: AssetProblem[] = [];
  // Hashes of paths only (not entries): what stale outputs are judged against, 16 bytes an output at most.
  const listed = hashedStringSet([MANIFEST_FILE]);
  const shard = plan.shard;
  const onAsset = (recipeIndex: number, position: number, entry: ManifestAsset): Promise<void> => {
    if (entry.status !== 'ok') {
      const key = plan.recipes[recipeIndex]?.assets[position]?.key ?? entry.id;
      problems.push({
        asset: key,
        status: entry.status,
        error: entry.error ?? entry.status,
        location: options.locate(key),
      });
    }
    for (const output of entry.outputs) listed.add(output.path);
    return stream.add(recipeIndex, position, entry);
  };
  return {
    onAsset,
    problems,
    listedPaths: () => listed,
    async writeManifest() {
      const fallback = providerEntry(options.provider);
      const file = shard === undefined ? MANIFEST_FILE : manifestPartName(shard);
      const streamed = new Set(plan.recipes.map((recipe) => recipe.name));
      // The recipes this run writes anew are skipped unread: their old entries may be hundreds of MB.
      const others =
        shard === undefined ? await readExistingRecipes(outDir, (name) => streamed.has(name)) : {};
      for (const [name, recipe] of Object.entries(others)) {
        if (streamed.has(name)) continue;
        for (const asset of recipe.assets) for (const output of asset.outputs) listed.add(output.path);
      }
      const written = await stream.finish({
        file,
        generatorVersion: VERSION,
        fallback,
        // A shard's part holds its own assets only; `merge` keeps the other recipes of manifest.json.
        ...(shard === undefined ? { others } : {}),
        ...(shard === undefined
          ? {}
          : {
              extra: {
                shard: shardRecord(
                  plan,
                  shard,
                  fallback,
                  lock === null ? null : { path: lock.path, cwd: options.cwd },
                ),
              },
            }),
      });
      const manifest = options.returnManifest
        ? (JSON.parse(await readFile(written.path, 'utf8')) as Manifest)
        : null;
      return { manifest, path: written.path };
    },
    async writeLock(result, complete) {
      if (lock === null || lockSpool === undefined) return false;
      if (shard === undefined) {
        const recipes = plan.recipes.map((recipe) => `${recipe.name}@${recipe.profile ?? ''}`);
        // The lock before, merged with the run's pins; its kept entries and the run's (from the spool)
        // stream in, sorted.
        const { head, kept } = mergeLock(lock.before, { ...result.lock, tasks: {} }, recipes, complete);
        await lockSpool.writeLock(lock.path, head, kept);
        return true;
      }
      const tasks = await lockSpool.entries();
      await lockSpool.discard();
      await writeLockPart(join(outDir, lockPartName(shard)), {
        lock_part_version: 1,
        shard: { index: shard.index, count: shard.count },
        complete,
        recipes: plan.recipes.map((recipe) => recipe.name),
        models: result.lock.models,
        tasks: { ...result.lock.tasks, ...tasks },
      });
      return true;
    },
    lockEntries: lockSpool ?? NO_LOCK,
    async discard() {
      await stream.discard();
      await lockSpool?.discard();
    },
  };
}
