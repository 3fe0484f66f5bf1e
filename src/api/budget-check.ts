/** The estimate against the budgets, before anything is spent: a recipe's `budget.max_usd` and `maxUsd`. */
import { BudgetError } from '../errors.js';
import { formatUsd } from '../plan/cost.js';
import type { Plan } from '../plan/plan.js';
import { type PlanSummary, summarizePlan } from '../plan/summary.js';
import type { ProviderChoice } from './provider-choice.js';

/** Whether a step's result is already in the cache (from a probe). */
export type CachedSteps = (asset: string, step: string) => boolean;

/** Refuses (BudgetError, exit 3) when an estimate exceeds a recipe's budget or `maxUsd`. */
export function checkBudget(
  plan: Plan,
  choice: ProviderChoice,
  maxUsd: number | undefined,
  isCached?: CachedSteps,
): PlanSummary {
  const base = { provider: choice.name, paid: choice.paid, ...(isCached === undefined ? {} : { isCached }) };
  const summary = summarizePlan(plan, { ...base, ...(maxUsd === undefined ? {} : { maxUsd }) });
  if (!choice.paid) return summary;
  for (const recipe of plan.recipes) {
    if (recipe.maxUsd === undefined) continue;
    const own = summarizePlan({ recipes: [recipe] }, { ...base, paid: true });
    refuseOver(own.estimatedUsd, recipe.maxUsd, `recipe ${recipe.name} (budget.max_usd)`);
  }
  if (maxUsd !== undefined) refuseOver(summary.estimatedUsd, maxUsd, '--max-cost');
  return summary;
}

function refuseOver(estimate: number | null, max: number, what: string): void {
  if (estimate === null) {
    throw new BudgetError(
      `the cost of some tasks is unknown, so ${what} ${formatUsd(max)} cannot be guaranteed: give uncatalogued models a price:`,
      Number.NaN,
      max,
    );
  }
  if (estimate > max + 1e-12) {
    throw new BudgetError(
      `estimated cost ${formatUsd(estimate)} exceeds ${what} ${formatUsd(max)}; nothing was run (raise the budget or reduce the plan)`,
      estimate,
      max,
    );
  }
}
