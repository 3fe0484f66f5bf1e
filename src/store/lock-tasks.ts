/**
 * The lock's task entries as a run sees them: looked up by id and walked in sorted order, never a
 * `Record` that must be held whole. `lockTasksOf` keeps them in memory (small locks, tests); the lock
 * before a run is indexed on disk instead (store/lock-index.ts: a few bytes per task).
 */
import type { LockedTask, LockFileContent } from './lock.js';

export interface LockTasks {
  /** The entry of `id` (versions as the lock keeps them), or undefined. */
  get(id: string): LockedTask | undefined;
  has(id: string): boolean;
  /** Distinct ids. */
  readonly size: number;
  /** Every entry, by id in sorted order (as `Array.prototype.sort` orders strings). */
  entries(): AsyncIterable<[id: string, entry: LockedTask]>;
}

/** The lock as a run sees it: pins in memory, the task entries behind `LockTasks`. */
export interface LockView {
  lockfile_version: 1;
  models: LockFileContent['models'];
  tasks: LockTasks;
  deployments?: LockFileContent['deployments'];
}

/** A lock read from a file: `close` when done (it may hold the file open). */
export interface OpenLock extends LockView {
  close(): Promise<void>;
}

export function lockTasksOf(tasks: Readonly<Record<string, LockedTask>>): LockTasks {
  const get = (id: string): LockedTask | undefined => (Object.hasOwn(tasks, id) ? tasks[id] : undefined);
  return {
    get,
    has: (id) => Object.hasOwn(tasks, id),
    get size() {
      return Object.keys(tasks).length;
    },
    async *entries() {
      for (const id of Object.keys(tasks).sort()) yield [id, tasks[id] as LockedTask];
    },
  };
}

/** A lock held in memory, seen as a run sees one (nothing to close). */
export function lockView(lock: LockFileContent): OpenLock {
  return {
    lockfile_version: 1,
    models: lock.models,
    tasks: lockTasksOf(lock.tasks),
    ...(lock.deployments === undefined ? {} : { deployments: lock.deployments }),
    close: async () => {},
  };
}

/** The entries a merged lock keeps from the lock before: those of `tasks` that `keep` keeps. */
export interface KeptTasks {
  tasks: LockTasks;
  keep(id: string): boolean;
}
