/**
 * Stale outputs: files assetgen wrote into an output folder (its output record, store/output-record.ts)
 * that the folder's manifest no longer lists — after a variant was picked, an asset removed, an output
 * path changed. They are counted after every run and removed by `prune`, which deletes only a file that
 * still holds exactly the bytes assetgen wrote (size and mtime as recorded, else the same sha256), not
 * one a person replaced since (kept and forgotten), nor one a run still going on has just written, nor
 * an earlier file of an asset that failed in this run (its last good image). Folders that assetgen
 * created and that are left empty go with them.
 */
import { lstat, realpath, rm, rmdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { StringMembership } from '../hashed-string-set.js';
import { readManifest } from '../manifest/read.js';
import type { Manifest } from '../manifest/types.js';
import { MANIFEST_FILE } from '../manifest/write.js';
import { variantLabel } from '../recipe/instances.js';
import { sha256File } from '../store/hash.js';
import { isInside } from '../store/output-folder.js';
import { type LockedRecord, openOutputRecord, type RecordedFile } from '../store/output-record.js';
import { errnoOf } from '../store/write-errors.js';
import { DEFAULT_CACHE_DIR, DEFAULT_OUT_DIR } from './options.js';

/** A file not in the manifest that was left where it is. */
export interface KeptOutput {
  /** Relative to the output folder. */
  path: string;
  /**
   * `changed`: not the bytes assetgen wrote (replaced by someone: no longer assetgen's, forgotten when
   * pruning); `unfinished`: its asset did not finish in this run, so this is its last good file;
   * `failed`: removing it failed (`detail` says why).
   */
  reason: 'changed' | 'unfinished' | 'failed';
  detail: string;
}

export interface StaleOutputs {
  /** The output folder (absolute, real path). */
  outDir: string;
  /** Files assetgen wrote there that no manifest entry lists any more (relative, sorted): what prune removes. */
  stale: string[];
  /** Whether `stale` was removed by this call. */
  pruned: boolean;
  /** Folders assetgen had created that pruning left empty, and removed (relative, deepest first). */
  removedFolders: string[];
  /** Files outside the manifest that were not (or would not be) removed, and why. */
  kept: KeptOutput[];
}

/** Every output path the manifest lists, relative to the output folder. */
export function listedPaths(recipes: Manifest['recipes']): Set<string> {
  const listed = new Set<string>([MANIFEST_FILE]);
  for (const recipe of Object.values(recipes))
    for (const asset of recipe.assets) for (const output of asset.outputs) listed.add(output.path);
  return listed;
}

/** `recipe/asset[/variant]` of the manifest's assets that are not `ok`. */
export function unfinishedAssets(recipes: Manifest['recipes']): Set<string> {
  const keys = new Set<string>();
  for (const [name, recipe] of Object.entries(recipes))
    for (const asset of recipe.assets)
      if (asset.status !== 'ok')
        keys.add([name, asset.id, variantLabel(asset.variant)].filter(Boolean).join('/'));
  return keys;
}

/** Whether the file at `absolute` is still the one assetgen wrote, or why not. */
async function ownership(
  absolute: string,
  file: RecordedFile,
  realOut: string,
): Promise<'ours' | 'missing' | string> {
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(absolute);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT' || errnoOf(error) === 'ENOTDIR') return 'missing';
    throw error;
  }
  if (!info.isFile())
    return info.isSymbolicLink() ? 'a symbolic link stands there now' : 'it is no longer a file';
  // A folder on the way replaced by a link: the file is somewhere else.
  if (!isInside(await realpath(dirname(absolute)), realOut))
    return 'its folder now leads outside the output folder';
  if (info.size !== file.bytes) return 'its size changed since assetgen wrote it';
  if (info.mtimeMs === file.mtimeMs) return 'ours';
  const now = await sha256File(absolute);
  return now.sha256 === file.sha256 ? 'ours' : 'its content changed since assetgen wrote it';
}

/**
 * Judges (and with `prune` removes) the recorded files that `listed` does not hold. Runs inside the output
 * folder's lock (`OutputRecord.locked`); forgets what is gone or no longer assetgen's.
 */
export async function judgeStaleOutputs(
  record: LockedRecord,
  context: {
    outDir: string;
    /** The paths the manifest lists (a false yes only keeps an unlisted file). */
    listed: StringMembership;
    unfinished: ReadonlySet<string>;
    prune: boolean;
  },
): Promise<StaleOutputs> {
  const report: StaleOutputs = {
    outDir: context.outDir,
    stale: [],
    pruned: context.prune,
    removedFolders: [],
    kept: [],
  };
  const realOut = await realpath(context.outDir).catch(() => undefined);
  if (realOut === undefined) return report; // no output folder: nothing of it is left
  const removed: string[] = [];
  // The unlisted ones only, in path order (the record is read line by line: its listed files are not kept).
  const unlisted: [string, RecordedFile][] = [];
  for await (const entry of record.files())
    if (!context.listed.has(entry[0]) && !record.inFlight.has(entry[0])) unlisted.push(entry);
  for (const [path, file] of unlisted) {
    if (context.unfinished.has(file.asset)) {
      report.kept.push({ path, reason: 'unfinished', detail: `${file.asset} did not finish in this run` });
      continue;
    }
    const absolute = resolve(realOut, path);
    if (!isInside(absolute, realOut)) {
      record.forget(path); // not a path of this folder: a damaged record
      continue;
    }
    const verdict = await ownership(absolute, file, realOut);
    if (verdict === 'missing') {
      record.forget(path);
      continue;
    }
    if (verdict !== 'ours') {
      report.kept.push({ path, reason: 'changed', detail: verdict });
      if (context.prune) record.forget(path); // someone else's file now
      continue;
    }
    if (!context.prune) {
      report.stale.push(path);
      continue;
    }
    try {
      await rm(absolute);
      record.forget(path);
      report.stale.push(path);
      removed.push(path);
    } catch (error) {
      report.kept.push({ path, reason: 'failed', detail: (error as Error).message });
    }
  }
  report.removedFolders = await removeEmptyFolders(record, realOut, removed);
  return report;
}

/** The folders assetgen created above removed files, deepest first, while they are empty. */
async function removeEmptyFolders(
  record: LockedRecord,
  realOut: string,
  removed: readonly string[],
): Promise<string[]> {
  const candidates = new Set<string>();
  for (const path of removed) {
    const parts = path.split('/');
    for (let depth = parts.length - 1; depth > 0; depth--) {
      const folder = parts.slice(0, depth).join('/');
      if (record.folders.has(folder) && !record.inFlightFolders.has(folder)) candidates.add(folder);
    }
  }
  const gone: string[] = [];
  const byDepth = [...candidates].sort(
    (a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1),
  );
  for (const folder of byDepth) {
    try {
      await rmdir(join(realOut, ...folder.split('/'))); // fails unless empty; never follows a link
      record.folders.delete(folder);
      gone.push(folder);
    } catch (error) {
      if (errnoOf(error) === 'ENOENT') record.folders.delete(folder);
    }
  }
  return gone;
}

export interface StaleOutputsOptions {
  /** Folder that relative paths resolve against. Default: `process.cwd()`. */
  cwd?: string;
  /** Output folder. Default `output`. */
  out?: string;
  /** The cache folder that holds the output record. Default `.assetgen/cache`. */
  cacheDir?: string;
  /** Remove the stale files (default false: only list them). */
  prune?: boolean;
  signal?: AbortSignal;
}

/**
 * The stale files of an output folder against its manifest as it is now, without running anything;
 * `prune: true` removes them (what `run --prune` does after a run).
 */
export async function findStaleOutputs(options: StaleOutputsOptions = {}): Promise<StaleOutputs> {
  const cwd = options.cwd ?? process.cwd();
  const outDir = resolve(cwd, options.out ?? DEFAULT_OUT_DIR);
  const record = await openOutputRecord(resolve(cwd, options.cacheDir ?? DEFAULT_CACHE_DIR), outDir);
  try {
    return await record.locked(
      async (locked) => {
        const { recipes } = await readManifest(outDir); // none: ManifestError, nothing is judged
        return judgeStaleOutputs(locked, {
          outDir: record.outDir,
          listed: listedPaths(recipes),
          unfinished: unfinishedAssets(recipes),
          prune: options.prune === true,
        });
      },
      options.signal === undefined ? {} : { signal: options.signal },
    );
  } finally {
    await record.close();
  }
}
