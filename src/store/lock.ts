/**
 * `assetgen.lock`: committed next to the recipes, readable in a diff, stably ordered. It pins each
 * community model to a version (until `assetgen update` moves it) and records per paid task what ran:
 * model, version, input hash, seed, output hashes, prediction id and cost. `--frozen` compares against it.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { canonicalJson } from './hash.js';

export interface LockedModel {
  /** null for official models: they have no versions, so their results may change between runs. */
  version: string | null;
  official: boolean;
}

export interface LockedTask {
  model: string;
  version: string | null;
  /** Hash of the input without upstream images, and the upstream images' hashes. */
  input_hash: string;
  upstream: string[];
  seed: number | null;
  key: string;
  outputs: string[];
  prediction_id: string | null;
  cost_usd: number | null;
}

export interface LockFileContent {
  lockfile_version: 1;
  models: Record<string, LockedModel>;
  tasks: Record<string, LockedTask>;
}

export const LOCK_FILE = 'assetgen.lock';

export function emptyLock(): LockFileContent {
  return { lockfile_version: 1, models: {}, tasks: {} };
}

export async function readLock(path: string): Promise<LockFileContent> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockFileContent>;
    return { lockfile_version: 1, models: parsed.models ?? {}, tasks: parsed.tasks ?? {} };
  } catch {
    return emptyLock();
  }
}

/** Writes with sorted keys at every level and one field per line, so diffs show exactly what moved. */
export async function writeLock(path: string, lock: LockFileContent): Promise<void> {
  const text = JSON.stringify(JSON.parse(canonicalJson(lock)), null, 2);
  await writeFileAtomic(path, `${text}\n`);
}

/** The lock id of a task: `recipe/asset[/variant]#step`. */
export function lockTaskId(assetKey: string, stepId: string): string {
  return `${assetKey}#${stepId}`;
}

/** Why a task's current form does not match its lock entry (for --frozen), or undefined when it does. */
export function lockMismatch(
  entry: LockedTask | undefined,
  current: { version: string | null; inputHash: string; upstream: readonly string[] },
): string | undefined {
  if (entry === undefined) return 'not in the lock (a new asset or step)';
  if (entry.version !== current.version) {
    return `the model version moved (${entry.version ?? 'none'} → ${current.version ?? 'none'})`;
  }
  if (entry.input_hash !== current.inputHash) return 'its input changed (prompt or options)';
  if (canonicalJson(entry.upstream) !== canonicalJson(current.upstream)) return 'an upstream image changed';
  return undefined;
}
