/** Exit codes: the CLI's contract with scripts and CI. */
import {
  AssetgenError,
  BudgetError,
  CancelledError,
  ManifestError,
  PreflightError,
  RecipeError,
  StoreError,
  UsageError,
} from '../errors.js';

export const EXIT = {
  ok: 0,
  assetFailed: 1,
  invalid: 2,
  overBudget: 3,
  interrupted: 130,
} as const;

export function exitCodeFor(error: unknown): number {
  if (
    error instanceof RecipeError ||
    error instanceof UsageError ||
    error instanceof ManifestError ||
    error instanceof PreflightError ||
    (error instanceof StoreError && error.beforeRun)
  )
    return EXIT.invalid;
  if (error instanceof BudgetError) return EXIT.overBudget;
  if (error instanceof CancelledError) return EXIT.interrupted;
  if (error instanceof AssetgenError) return EXIT.assetFailed;
  return EXIT.assetFailed;
}
