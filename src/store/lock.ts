/**
 * `assetgen.lock`: committed next to the recipes, readable in a diff, stably ordered. It pins each
 * community model to a version (until `assetgen update` moves it) and records per paid task what ran:
 * model, version, input hash, seed, output hashes, prediction id and cost. `--frozen` compares against it.
 * Models checked against a fetched schema are also pinned by its hash (`schema`). Only version ids (64 hex) are versions: official models stay unversioned (`null`) — what they report
 * (`hidden`, a `dp-…` deployment that changes on every redeploy) pins nothing, and a lock an older
 * assetgen wrote with such a value reads as `null`.
 */
import { readFile } from 'node:fs/promises';
import { isVersionId } from '../models/catalog.js';
import { writeFileAtomic } from './atomic.js';
import { canonicalJson } from './hash.js';

export interface LockedModel {
  /** null for official models: they have no versions, so their results may change between runs. */
  version: string | null;
  official: boolean;
  /**
   * sha256 of the model's input/output schema (its Cog `openapi_schema`, stored in the cache's
   * `schemas/`), for models checked against a fetched schema: every model outside the catalog, and a
   * catalog model pinned at another version. Absent in locks written before assetgen fetched schemas.
   */
  schema?: string;
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

/** A deployment's current release as the recipes were checked against it (`deployment:` steps). */
export interface LockedDeployment {
  /** `owner/name` of the release's model. */
  model: string;
  /** The release's version id. */
  version: string;
  /** Hash of the version's schema in the cache's `schemas/`. */
  schema?: string;
}

export interface LockFileContent {
  lockfile_version: 1;
  models: Record<string, LockedModel>;
  tasks: Record<string, LockedTask>;
  /** By deployment `owner/name`; absent in locks written before assetgen ran deployments. */
  deployments?: Record<string, LockedDeployment>;
}

export const LOCK_FILE = 'assetgen.lock';

export function emptyLock(): LockFileContent {
  return { lockfile_version: 1, models: {}, tasks: {} };
}

/** A version as the lock keeps it: a version id, else null. */
export const lockedVersion = (version: string | null | undefined): string | null =>
  isVersionId(version) ? version : null;

/** A task entry as read: its version a version id, else null (`hidden`, `dp-…`). */
export const lockedTask = (task: LockedTask | undefined): LockedTask =>
  ({ ...task, version: lockedVersion(task?.version) }) as LockedTask;

/** The lock's models and deployments with every version that is not a version id as null (or dropped). */
export function headWithVersionIds(lock: Partial<LockFileContent>): Omit<LockFileContent, 'tasks'> {
  const models = Object.fromEntries(
    Object.entries(lock.models ?? {}).map(([ref, m]) => [ref, { ...m, version: lockedVersion(m?.version) }]),
  );
  const deployments = Object.fromEntries(
    Object.entries(lock.deployments ?? {}).filter(
      ([, d]) => typeof d?.model === 'string' && isVersionId(d.version),
    ),
  );
  return {
    lockfile_version: 1,
    models,
    ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
  };
}

/** The same lock with every version that is not a version id (`hidden`, `dp-…`) as null. */
function withVersionIds(lock: Partial<LockFileContent>): LockFileContent {
  const { deployments, ...head } = headWithVersionIds(lock);
  const tasks = Object.fromEntries(Object.entries(lock.tasks ?? {}).map(([id, t]) => [id, lockedTask(t)]));
  return { ...head, tasks, ...(deployments === undefined ? {} : { deployments }) };
}

export async function readLock(path: string): Promise<LockFileContent> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return emptyLock();
  }
  if (typeof parsed !== 'object' || parsed === null) return emptyLock();
  return withVersionIds(parsed as Partial<LockFileContent>);
}

/** Writes with sorted keys at every level and one field per line, so diffs show exactly what moved. */
export async function writeLock(path: string, lock: LockFileContent): Promise<void> {
  await writeFileAtomic(path, lockText(lock), { doing: 'write the lock file', place: 'lock' });
}

/** The lock's text as `writeLock` writes it (lock-spool.ts streams the same bytes). */
export function lockText(lock: LockFileContent): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(withVersionIds(lock))), null, 2)}\n`;
}

/** The lock id of a task: `recipe/asset[/variant]#step`, `…#step@profile` when planned with a profile. */
export function lockTaskId(assetKey: string, stepId: string, profile?: string): string {
  return profile === undefined ? `${assetKey}#${stepId}` : `${assetKey}#${stepId}@${profile}`;
}

/** The profile of a lock id (after the step id's `@`; step ids hold neither `#` nor `@`), or undefined. */
export function lockTaskProfile(id: string): string | undefined {
  const step = id.slice(id.lastIndexOf('#') + 1);
  const at = step.indexOf('@');
  return at < 0 ? undefined : step.slice(at + 1);
}

/** Why a task's current form does not match its lock entry (for --frozen), or undefined when it does. */
export function lockMismatch(
  entry: LockedTask | undefined,
  current: { version: string | null; inputHash: string; upstream: readonly string[] },
): string | undefined {
  if (entry === undefined) return 'not in the lock (a new asset or step)';
  const [was, now] = [lockedVersion(entry.version), lockedVersion(current.version)];
  if (was !== now) return `the model version moved (${was ?? 'none'} → ${now ?? 'none'})`;
  if (entry.input_hash !== current.inputHash) return 'its input changed (prompt or options)';
  if (canonicalJson(entry.upstream) !== canonicalJson(current.upstream)) return 'an upstream image changed';
  return undefined;
}
