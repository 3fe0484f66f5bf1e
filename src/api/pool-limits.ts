/** Pool sizes for a run: the caller's, else the first recipe that sets one; model limits of all recipes. */
import type { Plan } from '../plan/plan.js';
import type { PoolOptions } from '../run/pools.js';

export function poolLimits(plan: Plan, given: { remote?: number; local?: number }): PoolOptions {
  const limits = plan.recipes.map((recipe) => recipe.loaded.recipe.concurrency);
  const models: Record<string, number> = {};
  for (const limit of limits) Object.assign(models, limit?.models ?? {});
  const remote = given.remote ?? limits.find((limit) => limit?.remote !== undefined)?.remote;
  const local = given.local ?? limits.find((limit) => limit?.local !== undefined)?.local;
  return {
    models,
    ...(remote === undefined ? {} : { remote }),
    ...(local === undefined ? {} : { local }),
  };
}
