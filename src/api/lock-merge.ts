/**
 * The lock after a run: a complete run of a recipe replaces its entries (removed assets drop out); after a
 * run with failures or an interruption, entries of tasks that did not finish are kept. Other recipes stay.
 */
import type { LockFileContent } from '../store/lock.js';

export function mergeLock(
  before: LockFileContent,
  run: LockFileContent,
  /** The recipes the run ran. */
  recipes: readonly string[],
  complete: boolean,
): LockFileContent {
  const ran = new Set(complete ? recipes : []);
  const tasks = Object.fromEntries(
    Object.entries(before.tasks).filter(([id]) => !ran.has(id.slice(0, id.indexOf('/')))),
  );
  return {
    lockfile_version: 1,
    models: { ...before.models, ...run.models },
    tasks: { ...tasks, ...run.tasks },
  };
}
