/**
 * The lock after a run: a complete run of a recipe replaces its entries (removed assets drop out); after a
 * run with failures or an interruption, entries of tasks that did not finish are kept. Other recipes, and
 * the same recipe's entries of other profiles (`…#step@draft`), stay.
 */
import { type LockFileContent, lockTaskProfile } from '../store/lock.js';

export function mergeLock(
  before: LockFileContent,
  run: LockFileContent,
  /** The recipes the run ran: `name@profile`, or `name` for the default profile. */
  recipes: readonly string[],
  complete: boolean,
): LockFileContent {
  // A recipe's entries are its own per profile: a complete draft run leaves the final entries alone.
  const ran = new Set(
    complete ? recipes.map((recipe) => (recipe.includes('@') ? recipe : `${recipe}@`)) : [],
  );
  const tasks = Object.fromEntries(
    Object.entries(before.tasks).filter(
      ([id]) => !ran.has(`${id.slice(0, id.indexOf('/'))}@${lockTaskProfile(id) ?? ''}`),
    ),
  );
  const deployments = { ...before.deployments, ...run.deployments };
  return {
    lockfile_version: 1,
    models: { ...before.models, ...run.models },
    tasks: { ...tasks, ...run.tasks },
    ...(Object.keys(deployments).length > 0 ? { deployments } : {}),
  };
}
