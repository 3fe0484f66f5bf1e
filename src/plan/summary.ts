/**
 * What `plan` prints and `run` checks against the budget: counts, cost per model and every budget with
 * the estimate it is held against. The estimate is always the Replicate one — also offline, where the
 * local provider spends nothing — and counts as paid only the results of Replicate runs in the cache
 * (`isCachedOnReplicate`), never offline placeholders. Identical tasks (plan/task-identity.ts) run once
 * and are counted once: in the run's estimate once, and in each recipe's once (a task two recipes share
 * counts in both of their budgets, since either may be the one that runs it).
 */
import type { SourceLocation } from '../errors.js';
import type { PriceOrigin } from '../models/prices.js';
import type { Plan } from './plan.js';
import { stepIdentities } from './task-identity.js';

export interface ModelSummary {
  model: string;
  tasks: number;
  /** Tasks whose result for this run's provider is already in the cache. */
  cached: number;
  /**
   * Tasks identical to an earlier task of the plan (same model, version, input and upstream): they run
   * once, so neither the estimate nor a budget counts them again.
   */
  identical: number;
  /** USD on Replicate for the tasks whose Replicate result is not in the cache; null when the price is unknown. */
  estimatedUsd: number | null;
  /** Where its price came from (its first step's, in plan order), or why it has none. */
  price: PriceOrigin;
}

/** The first task a budget covers whose price is unknown. */
export interface UnpricedTask {
  recipe: string;
  asset: string;
  step: string;
  model: string;
  /** Why, and how to give it a price. */
  reason: string;
}

/** One budget and the Replicate estimate it is held against. */
export interface BudgetStatus {
  /** `recipe`: a recipe's `budget.max_usd`; `run`: the run's `maxUsd` (`--max-cost`). */
  scope: 'recipe' | 'run';
  /** The recipe's name (scope `recipe`). */
  recipe?: string;
  maxUsd: number;
  /** The Replicate estimate of what it covers; null when a price is unknown. */
  estimatedUsd: number | null;
  /** The estimate is above the budget, or unknown (so the budget cannot be guaranteed). */
  exceeded: boolean;
  /** Where the recipe sets it (scope `recipe`, when exceeded; filled in by the library's budget check). */
  location?: SourceLocation;
  /** When the estimate is unknown: the first task without a price. */
  unpriced?: UnpricedTask;
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
  /** What the plan costs on Replicate (its results already in the cache excluded), whatever the provider. */
  replicateUsd: number | null;
  maxUsd?: number;
  /** Set when the plan is one shard's: the counts and the estimate are the shard's alone. */
  shard?: { index: number; count: number };
  /** Every recipe budget, then `maxUsd`, against the Replicate estimate. */
  budgets: BudgetStatus[];
}

export interface SummarizeOptions {
  provider: string;
  paid: boolean;
  maxUsd?: number;
  /** Whether a step's result for this run's provider is in the cache. */
  isCached?: (asset: string, step: string) => boolean;
  /** Whether a step's Replicate result is in the cache (the estimate); default `isCached` when paid. */
  isCachedOnReplicate?: (asset: string, step: string) => boolean;
}

const addUsd = (total: number | null, usd: number | null): number | null =>
  total === null || usd === null ? null : total + usd;

export function summarizePlan(plan: Plan, options: SummarizeOptions): PlanSummary {
  const isCached = options.isCached ?? (() => false);
  const isPaidCached = options.isCachedOnReplicate ?? (options.paid ? isCached : () => false);
  const models = new Map<string, ModelSummary>();
  const budgets: BudgetStatus[] = [];
  let assets = 0;
  let imageTasks = 0;
  let outputFiles = 0;
  let replicateUsd: number | null = 0;
  const counted = new Set<string>();
  let firstUnpriced: UnpricedTask | undefined;
  for (const recipe of plan.recipes) {
    let recipeUsd: number | null = 0;
    let recipeUnpriced: UnpricedTask | undefined;
    const countedInRecipe = new Set<string>();
    for (const asset of recipe.assets) {
      assets++;
      for (const output of asset.outputs) outputFiles += output.files.length;
      const identities = stepIdentities(asset, recipe.loaded.dir);
      for (const step of asset.steps) {
        if (step.kind === 'image') {
          imageTasks++;
          continue;
        }
        const summary = models.get(step.model) ?? {
          model: step.model,
          tasks: 0,
          cached: 0,
          identical: 0,
          estimatedUsd: 0,
          price: step.price,
        };
        summary.tasks++;
        if (isCached(asset.key, step.id)) summary.cached++;
        const identity = identities.get(step.id) ?? `${asset.key}#${step.id}`;
        const first = !counted.has(identity);
        if (!first) summary.identical++;
        if (!isPaidCached(asset.key, step.id)) {
          if (first) {
            summary.estimatedUsd = addUsd(summary.estimatedUsd, step.estimatedUsd);
            replicateUsd = addUsd(replicateUsd, step.estimatedUsd);
          }
          if (!countedInRecipe.has(identity)) recipeUsd = addUsd(recipeUsd, step.estimatedUsd);
          if (step.estimatedUsd === null && recipeUnpriced === undefined) {
            const reason = step.price.unpriced ?? `the price of ${step.model} is unknown`;
            recipeUnpriced = {
              recipe: recipe.name,
              asset: asset.key,
              step: step.id,
              model: step.model,
              reason,
            };
          }
        }
        counted.add(identity);
        countedInRecipe.add(identity);
        models.set(step.model, summary);
      }
    }
    firstUnpriced ??= recipeUnpriced;
    if (recipe.maxUsd !== undefined)
      budgets.push(budgetStatus('recipe', recipe.maxUsd, recipeUsd, recipe.name, recipeUnpriced));
  }
  if (options.maxUsd !== undefined)
    budgets.push(budgetStatus('run', options.maxUsd, replicateUsd, undefined, firstUnpriced));
  const list = [...models.values()].sort((a, b) => a.model.localeCompare(b.model));
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
    budgets,
  };
  if (options.maxUsd !== undefined) summary.maxUsd = options.maxUsd;
  if (plan.shard !== undefined) summary.shard = { ...plan.shard };
  return summary;
}

function budgetStatus(
  scope: BudgetStatus['scope'],
  maxUsd: number,
  estimatedUsd: number | null,
  recipe?: string,
  unpriced?: UnpricedTask,
): BudgetStatus {
  const exceeded = estimatedUsd === null || estimatedUsd > maxUsd + 1e-12;
  return {
    scope,
    ...(recipe === undefined ? {} : { recipe }),
    maxUsd,
    estimatedUsd,
    exceeded,
    ...(estimatedUsd === null && unpriced !== undefined ? { unpriced } : {}),
  };
}
