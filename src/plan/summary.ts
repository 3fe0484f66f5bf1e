/** What `plan` prints and `run` checks against the budget: counts and estimated cost per model. */
import type { Plan } from './plan.js';

export interface ModelSummary {
  model: string;
  tasks: number;
  /** Tasks whose result is already in the cache (they cost nothing). */
  cached: number;
  /** USD on Replicate for the tasks still to run; null when the price is unknown. */
  estimatedUsd: number | null;
}

export interface PlanSummary {
  provider: string;
  paid: boolean;
  recipes: number;
  assets: number;
  tasks: number;
  imageTasks: number;
  outputFiles: number;
  models: ModelSummary[];
  /** What this run is expected to spend with its provider (0 for local). null when unknown. */
  estimatedUsd: number | null;
  /** What the same plan would cost on Replicate, for reference when running locally. */
  replicateUsd: number | null;
  maxUsd?: number;
}

export function summarizePlan(
  plan: Plan,
  options: {
    provider: string;
    paid: boolean;
    maxUsd?: number;
    isCached?: (asset: string, step: string) => boolean;
  },
): PlanSummary {
  const models = new Map<string, ModelSummary>();
  let assets = 0;
  let imageTasks = 0;
  let outputFiles = 0;
  for (const recipe of plan.recipes) {
    for (const asset of recipe.assets) {
      assets++;
      for (const output of asset.outputs) outputFiles += output.files.length;
      for (const step of asset.steps) {
        if (step.kind === 'image') {
          imageTasks++;
          continue;
        }
        const summary = models.get(step.model) ?? { model: step.model, tasks: 0, cached: 0, estimatedUsd: 0 };
        summary.tasks++;
        if (options.isCached?.(asset.key, step.id) === true) summary.cached++;
        else
          summary.estimatedUsd =
            summary.estimatedUsd === null || step.estimatedUsd === null
              ? null
              : summary.estimatedUsd + step.estimatedUsd;
        models.set(step.model, summary);
      }
    }
  }
  const list = [...models.values()].sort((a, b) => a.model.localeCompare(b.model));
  const replicateUsd = list.reduce<number | null>(
    (total, model) => (total === null || model.estimatedUsd === null ? null : total + model.estimatedUsd),
    0,
  );
  const maxUsd = options.maxUsd;
  const summary: PlanSummary = {
    provider: options.provider,
    paid: options.paid,
    recipes: plan.recipes.length,
    assets,
    tasks: list.reduce((total, model) => total + model.tasks, 0) + imageTasks,
    imageTasks,
    outputFiles,
    models: list,
    estimatedUsd: options.paid ? replicateUsd : 0,
    replicateUsd,
  };
  if (maxUsd !== undefined) summary.maxUsd = maxUsd;
  return summary;
}
