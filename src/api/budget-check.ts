/**
 * The estimate against the budgets, before anything is spent: each recipe's `budget.max_usd` and the
 * run's `maxUsd`, always with the Replicate estimate. With a paid provider a budget the estimate exceeds
 * refuses the run (BudgetError, exit 3); offline it is a warning that says so — the same recipe would be
 * refused once a token is set.
 */
import { BudgetError, type SourceLocation } from '../errors.js';
import { formatUsd } from '../plan/cost.js';
import type { Plan } from '../plan/plan.js';
import { type BudgetStatus, type PlanSummary, summarizePlan } from '../plan/summary.js';
import { createRecipeLocator } from '../recipe/index.js';
import type { ProviderChoice } from './provider-choice.js';

/** Whether a step's result is already in the cache (from a probe). */
export type CachedSteps = (asset: string, step: string) => boolean;

/** A warning with, when it is about a place in a recipe, that place. */
export interface LocatedWarning {
  message: string;
  location?: SourceLocation;
}

export interface BudgetVerdict {
  summary: PlanSummary;
  /** With a paid provider: the first budget exceeded, as the error a run throws. */
  refusal: BudgetError | null;
  /** Offline: every budget the Replicate estimate exceeds. */
  warnings: LocatedWarning[];
}

export interface CacheLookups {
  /** For this run's provider (the counts of cached tasks). */
  isCached: CachedSteps;
  /** For Replicate (the estimate); placeholders of the local provider are never among them. */
  isCachedOnReplicate: CachedSteps;
}

export function checkBudget(
  plan: Plan,
  choice: ProviderChoice,
  maxUsd: number | undefined,
  lookups: CacheLookups,
): BudgetVerdict {
  const summary = summarizePlan(plan, {
    provider: choice.name,
    paid: choice.paid,
    ...(maxUsd === undefined ? {} : { maxUsd }),
    ...lookups,
  });
  const exceeded = summary.budgets.filter((budget) => budget.exceeded);
  for (const budget of exceeded) {
    // An unknown price is fixed at the step (give it a price:); an estimate over budget at the budget.
    const unpriced = budget.unpriced;
    const stepRecipe = plan.recipes.find((planned) => planned.name === unpriced?.recipe);
    const stepIndex = stepRecipe?.loaded.recipe.steps.findIndex((step) => step.id === unpriced?.step) ?? -1;
    const recipe = plan.recipes.find((planned) => planned.name === budget.recipe);
    if (stepRecipe !== undefined && stepIndex >= 0)
      budget.location = createRecipeLocator(stepRecipe.loaded)(['steps', stepIndex, 'model']);
    else if (recipe !== undefined)
      budget.location = createRecipeLocator(recipe.loaded)(['budget', 'max_usd']);
  }
  const first = exceeded[0];
  if (choice.paid) return { summary, refusal: first === undefined ? null : refusal(first), warnings: [] };
  const warnings = exceeded.map((budget) => ({
    message: offlineWarning(budget),
    ...(budget.location === undefined ? {} : { location: budget.location }),
  }));
  return { summary, refusal: null, warnings };
}

const budgetName = (budget: BudgetStatus): string =>
  budget.scope === 'recipe' ? `recipe ${budget.recipe} (budget.max_usd)` : '--max-cost';

function refusal(budget: BudgetStatus): BudgetError {
  const what = budgetName(budget);
  if (budget.estimatedUsd === null) {
    return new BudgetError(
      `${unknownCost(budget)}, so ${what} ${formatUsd(budget.maxUsd)} cannot be guaranteed; nothing was run: ${budget.unpriced?.reason ?? 'give the step a price:'}`,
      Number.NaN,
      budget.maxUsd,
      budget.location,
    );
  }
  return new BudgetError(
    `estimated cost ${formatUsd(budget.estimatedUsd)} exceeds ${what} ${formatUsd(budget.maxUsd)}; nothing was run (raise the budget or reduce the plan)`,
    budget.estimatedUsd,
    budget.maxUsd,
    budget.location,
  );
}

function offlineWarning(budget: BudgetStatus): string {
  const what = `${budgetName(budget)} ${formatUsd(budget.maxUsd)}`;
  const consequence =
    'with REPLICATE_API_TOKEN set this run would be refused (exit 3); offline nothing is spent';
  return budget.estimatedUsd === null
    ? `${unknownCost(budget)}, so ${what} cannot be guaranteed: ${consequence} (${budget.unpriced?.reason ?? 'give the step a price:'})`
    : `the Replicate estimate ${formatUsd(budget.estimatedUsd)} exceeds ${what}: ${consequence}`;
}

/** `the cost of owner/name (step x of recipe/asset) is unknown`. */
function unknownCost(budget: BudgetStatus): string {
  const task = budget.unpriced;
  return task === undefined
    ? 'the cost of some tasks is unknown'
    : `the cost of ${task.model} (step ${task.step} of ${task.asset}) is unknown`;
}
