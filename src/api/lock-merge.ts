/**
 * The lock after a run: a complete run of a recipe replaces its entries (removed assets drop out); after a
 * run with failures or an interruption, entries of tasks that did not finish are kept. Other recipes, and
 * the same recipe's entries of other profiles (`…#step@draft`), stay. The entries from before are not
 * copied: the merge says which to keep, and the lock is written streaming them (store/lock-stream.ts).
 */
import { type LockFileContent, lockTaskProfile } from '../store/lock.js';
import type { KeptTasks, LockView } from '../store/lock-tasks.js';

export interface LockMerge {
  /** The merged pins and deployments, with the run's entries held in memory (`run.tasks`). */
  head: LockFileContent;
  /** The entries kept from before (the run's of the same id win over them). */
  kept: KeptTasks;
}

export function mergeLock(
  before: LockView,
  run: LockFileContent,
  /** The recipes the run ran: `name@profile`, or `name` for the default profile. */
  recipes: readonly string[],
  complete: boolean,
): LockMerge {
  // A recipe's entries are its own per profile: a complete draft run leaves the final entries alone.
  const ran = new Set(
    complete ? recipes.map((recipe) => (recipe.includes('@') ? recipe : `${recipe}@`)) : [],
  );
  const keep = (id: string): boolean =>
    !ran.has(`${id.slice(0, id.indexOf('/'))}@${lockTaskProfile(id) ?? ''}`);
  const deployments = { ...before.deployments, ...run.deployments };
  return {
    head: {
      lockfile_version: 1,
      models: { ...before.models, ...run.models },
      tasks: run.tasks,
      ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
    },
    kept: { tasks: before.tasks, keep },
  };
}
