/**
 * `planRecipes`: what `assetgen plan` shows — assets, tasks per model, what is cached and what a run
 * would cost — without running or writing anything. Over budget is part of the answer (`overBudget`),
 * not an exception, so a caller can show the plan and the refusal together.
 */
import { formatProblem, type SourceLocation } from '../errors.js';
import type { Plan } from '../plan/plan.js';
import type { PlanSummary } from '../plan/summary.js';
import { stepIdentities } from '../plan/task-identity.js';
import { lockTaskId } from '../store/lock.js';
import type { LockView } from '../store/lock-tasks.js';
import { type CachedSteps, checkBudget, type LocatedWarning } from './budget-check.js';
import type { SessionOptions } from './options.js';
import type { ProviderChoice } from './provider-choice.js';
import { openSession, type Session } from './session.js';
import { closeSharedCache } from './shared-cache.js';

export type PlanRecipesOptions = SessionOptions;

/** One asset instance of the plan: its steps (cached or to run, with estimates) and its output files. */
export interface PlannedAssetReport {
  /** `recipe/asset[/variant]` */
  key: string;
  recipe: string;
  id: string;
  variant: Record<string, string | number | boolean>;
  steps: Array<{
    id: string;
    kind: 'model' | 'image';
    /** `owner/name` for model steps. */
    model?: string;
    cached: boolean;
    /**
     * USD on Replicate when it has to run there (null: price unknown); 0 for image steps, for Replicate
     * results in the cache and for a task identical to an earlier one (`identicalTo`).
     */
    estimatedUsd: number | null;
    /** The earlier task of the plan (`recipe/asset[/variant]#step`) this one is identical to: it runs once. */
    identicalTo?: string;
  }>;
  /** Output paths relative to the output folder; paths made from step texts stay templates. */
  outputs: string[];
}

export interface PlanReport {
  provider: ProviderChoice;
  summary: PlanSummary;
  assets: PlannedAssetReport[];
  /**
   * Things a run would do that the user may not expect: the recipes' warnings (the message is
   * `file:line:column  path: message`, e.g. a prompt longer than the model reads), unpinned official
   * models re-running, and offline a budget the Replicate estimate exceeds (with where the recipe sets it).
   */
  warnings: LocatedWarning[];
  /** Set when a run would be refused (paid provider: a recipe's `budget.max_usd` or `maxUsd`); `summary.budgets` has each one. */
  overBudget: { message: string; estimatedUsd: number; maxUsd: number; location?: SourceLocation } | null;
  lockPath: string;
  cacheDir: string;
}

/** Throws RecipeError (with every problem) for invalid recipes and UsageError for a bad provider choice. */
export async function planRecipes(
  files: readonly string[],
  options: PlanRecipesOptions = {},
): Promise<PlanReport> {
  const session = await openSession(files, options);
  await closeSharedCache(options, session.remote); // the probe was all it was for
  try {
    return planReport(session, options);
  } finally {
    await session.lock.close();
  }
}

function planReport(session: Session, options: PlanRecipesOptions): PlanReport {
  const { plan, choice, lock } = session;
  const { isCached } = session.probe;
  const isCachedOnReplicate = session.replicateProbe.isCached;
  const verdict = checkBudget(plan, choice, options.maxUsd, { isCached, isCachedOnReplicate });
  const { refusal } = verdict;
  return {
    provider: choice,
    summary: verdict.summary,
    assets: assetReports(plan, isCached, isCachedOnReplicate),
    warnings: [
      ...plan.recipes.flatMap((recipe) =>
        recipe.loaded.warnings.map((warning) => ({
          message: formatProblem(warning),
          location: warning.location,
        })),
      ),
      ...session.modelNotes.map((message) => ({ message })),
      ...(choice.paid ? officialRerunWarnings(plan, lock, isCached) : []).map((message) => ({ message })),
      ...verdict.warnings,
    ],
    overBudget:
      refusal === null
        ? null
        : {
            message: refusal.message,
            estimatedUsd: refusal.estimatedUsd,
            maxUsd: refusal.maxUsd,
            ...(refusal.location === undefined ? {} : { location: refusal.location }),
          },
    lockPath: session.lockPath,
    cacheDir: session.cacheDir,
  };
}

function assetReports(
  plan: Plan,
  isCached: CachedSteps,
  isCachedOnReplicate: CachedSteps,
): PlannedAssetReport[] {
  const firstOf = new Map<string, string>();
  return plan.recipes.flatMap((recipe) =>
    recipe.assets.map((asset) => {
      const identities = stepIdentities(asset, recipe.loaded.dir);
      return {
        key: asset.key,
        recipe: recipe.name,
        id: asset.instance.assetId,
        variant: asset.instance.variant,
        steps: asset.steps.map((step) => {
          const cached = isCached(asset.key, step.id);
          if (step.kind !== 'model') return { id: step.id, kind: step.kind, cached, estimatedUsd: 0 };
          const identity = identities.get(step.id) ?? '';
          const first = firstOf.get(identity);
          if (first === undefined) firstOf.set(identity, lockTaskId(asset.key, step.id));
          const paidCached = isCachedOnReplicate(asset.key, step.id);
          return {
            id: step.id,
            kind: step.kind,
            model: step.model,
            cached,
            estimatedUsd: paidCached || first !== undefined ? 0 : step.estimatedUsd,
            ...(first === undefined ? {} : { identicalTo: first }),
          };
        }),
        outputs: asset.outputs.flatMap((output) => output.files.map((file) => file.path)),
      };
    }),
  );
}

/** Official models have no versions: a task of one that ran before (it is in the lock) may now differ. */
function officialRerunWarnings(plan: Plan, lock: LockView, isCached: CachedSteps): string[] {
  const counts = new Map<string, number>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps) {
        if (step.kind !== 'model' || step.catalog?.official !== true || isCached(asset.key, step.id))
          continue;
        if (!lock.tasks.has(lockTaskId(asset.key, step.id, asset.profile))) continue;
        counts.set(step.model, (counts.get(step.model) ?? 0) + 1);
      }
  return [...counts].map(
    ([model, count]) =>
      `${count} task${count === 1 ? '' : 's'} of ${model} will re-run: official models have no version pin, so results may differ from the locked ones`,
  );
}
