/**
 * `runRecipes` and `checkRecipes`: what `assetgen run` and `assetgen check` do, as functions. Load and
 * plan, probe the cache, refuse over budget, choose and create the provider, run every chain (events
 * through `onEvent`, cancelled by `signal`), then write the manifest and merge the lock.
 *
 * State is only ever replaced by a run that had the right to: a `frozen` run that fails leaves the
 * manifest, the output files and the lock as they were (it first verifies like `check`, when the probe
 * cannot already prove everything is cached), and `check` writes none of them.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { CancelledError, formatProblem, type SourceLocation } from '../errors.js';
import { providerEntry } from '../manifest/placeholders.js';
import type { Manifest } from '../manifest/types.js';
import { readExistingRecipes, writeManifest } from '../manifest/write.js';
import type { Plan } from '../plan/plan.js';
import type { PlanSummary } from '../plan/summary.js';
import type { RunEventListener } from '../run/events.js';
import { preflight } from '../run/preflight.js';
import { type RunOptions, type RunResult, runPlan } from '../run/runner.js';
import type { SpendTally } from '../run/spend.js';
import { createCache } from '../store/cache.js';
import { type Journal, openJournal } from '../store/journal.js';
import { writeLock } from '../store/lock.js';
import { createTaskClaims, type TaskClaims } from '../store/task-claims.js';
import { VERSION } from '../version.js';
import { assetLocator, withAssetLocations } from './asset-locations.js';
import { checkBudget } from './budget-check.js';
import { completed, runFrozenInTwoPasses } from './frozen-run.js';
import { mergeLock } from './lock-merge.js';
import { manifestRecipes } from './manifest-entries.js';
import { DEFAULT_OUT_DIR, type SessionOptions } from './options.js';
import { poolLimits } from './pool-limits.js';
import {
  createProvider,
  offlineStandIn,
  type ProviderChoice,
  refuseOfflineFallback,
} from './provider-choice.js';
import { openSession } from './session.js';

export interface CheckRecipesOptions extends Omit<SessionOptions, 'maxUsd'> {
  /** Cancels the run: in-flight work stops, the report says `cancelled`. */
  signal?: AbortSignal;
  /** Every event of the run (src/run/events.ts), synchronously, in order. */
  onEvent?: RunEventListener;
}

export interface RunRecipesOptions extends SessionOptions, CheckRecipesOptions {
  /** Output folder. Default `output`. */
  out?: string;
  /** Paid tasks at once (default: the recipe's `concurrency.remote`, else 8). */
  concurrency?: number;
  /** Local CPU tasks at once (default: the recipe's `concurrency.local`, else the CPU count). */
  localConcurrency?: number;
  /** Re-run despite the cache: everything (`true`) or these asset ids. */
  force?: boolean | readonly string[];
  /** Never start a paid task: restore from the cache, or fail naming what would have to run. */
  frozen?: boolean;
  /**
   * `provider: 'auto'` without a token runs on the offline stand-ins (default `true`). `false` refuses
   * instead (UsageError, nothing run), so a pipeline whose token secret is missing does not publish
   * placeholders; the CLI sets it when `CI` is set. `frozen` runs, which spend nothing, are unaffected.
   */
  offlineFallback?: boolean;
}

/** An asset that did not finish, and why. */
export interface AssetProblem {
  /** `recipe/asset[/variant]` */
  asset: string;
  status: 'failed' | 'skipped' | 'cancelled';
  error: string;
  /** Where the asset is declared in its recipe (file absolute). */
  location: SourceLocation;
}

export interface RunReport {
  /** `ok`: every asset made or restored; `failed`: some failed or were skipped; `cancelled`: by `signal`. */
  status: 'ok' | 'failed' | 'cancelled';
  mode: 'run' | 'frozen' | 'check';
  provider: ProviderChoice;
  /** The plan's estimate before the run (cached tasks excluded). */
  estimate: PlanSummary;
  made: number;
  cached: number;
  failed: number;
  skipped: number;
  spentUsd: number;
  /** Where the money went: predictions this run created, and those it resumed from an earlier run. */
  spend: SpendTally;
  durationMs: number;
  /** Every asset that did not finish; for `frozen` and `check`, what would have to run and why. */
  problems: AssetProblem[];
  /** The manifest written, or null when none was (`check`, a failing `frozen` run). */
  manifest: Manifest | null;
  manifestPath: string | null;
  lockPath: string;
  /** Whether the lock was written (paid runs only). */
  lockWritten: boolean;
  /**
   * Set when the run stopped starting tasks because it could not write its results (disk full, no
   * permission …): that failure in one line. The assets it did not start are `skipped` ("not started").
   */
  stopped: string | null;
}

/**
 * `assetgen run`: throws RecipeError, UsageError, PreflightError (a place it cannot write), BudgetError
 * (nothing ran) or CancelledError (before it started).
 */
export function runRecipes(files: readonly string[], options: RunRecipesOptions = {}): Promise<RunReport> {
  return execute(files, options, options.frozen === true ? 'frozen' : 'run');
}

/** `assetgen check`: proves the cache and lock match the recipes; spends nothing, writes no output. */
export function checkRecipes(
  files: readonly string[],
  options: CheckRecipesOptions = {},
): Promise<RunReport> {
  return execute(files, options, 'check');
}

async function execute(
  files: readonly string[],
  options: RunRecipesOptions,
  mode: RunReport['mode'],
): Promise<RunReport> {
  const frozen = mode !== 'run';
  if (mode === 'run') refuseOfflineFallback(options);
  const session = await openSession(files, options, { frozen });
  const { plan, choice, cacheDir, lock, lockPath } = session;
  const outDir = resolve(session.cwd, options.out ?? DEFAULT_OUT_DIR);
  // Before the first request: can the run write everything it will write? (PreflightError if not)
  const writable = await preflight(plan, {
    cacheDir,
    ...(mode === 'check' ? {} : { outDir }),
    ...(choice.paid && mode === 'run' ? { lockPath } : {}),
  });
  const verdict = checkBudget(plan, choice, options.maxUsd, {
    isCached: session.probe.isCached,
    isCachedOnReplicate: session.replicateProbe.isCached,
  });
  if (verdict.refusal !== null) throw verdict.refusal;
  const estimate = verdict.summary;
  if (mode !== 'check') await readExistingRecipes(outDir); // refuses a manifest of a newer format first
  throwIfCancelled(options.signal);
  const locate = assetLocator(plan);
  const emit = withAssetLocations(locate, options.onEvent ?? (() => {}));
  emit({
    type: 'run-started',
    mode,
    provider: choice.name,
    reason: choice.reason,
    paid: choice.paid,
    recipes: estimate.recipes,
    assets: estimate.assets,
    tasks: estimate.tasks,
    outputFiles: estimate.outputFiles,
    estimatedUsd: estimate.estimatedUsd,
    replicateUsd: estimate.replicateUsd,
    outDir,
  });
  for (const warning of verdict.warnings) emit({ type: 'warning', ...warning });
  const warn = (message: string) => emit({ type: 'warning', message });
  for (const recipe of plan.recipes)
    for (const warning of recipe.loaded.warnings)
      emit({ type: 'warning', message: formatProblem(warning), location: warning.location });
  for (const warning of writable.warnings) warn(warning);
  const upscaler = session.localUpscaler;
  if (upscaler?.name === 'lanczos' && upscaler.fallback !== undefined && !frozen) warn(upscaler.fallback);
  const pools = poolLimits(plan, {
    ...(options.concurrency === undefined ? {} : { remote: options.concurrency }),
    ...(options.localConcurrency === undefined ? {} : { local: options.localConcurrency }),
  });
  const provider = frozen
    ? offlineStandIn(choice, upscaler)
    : await createProvider(choice, options.replicate, warn, {
        ...(upscaler === undefined ? {} : { upscaler }),
        workers: pools.local ?? Math.max(1, availableParallelism()),
        prewarm: !session.probe.complete && hasUpscaleStep(plan),
      });
  const journal: Journal | undefined = choice.paid && !frozen ? await openJournal(cacheDir) : undefined;
  // Runs sharing the cache folder pay for each task once between them (store/task-claims.ts).
  const claims: TaskClaims | undefined = journal === undefined ? undefined : createTaskClaims(cacheDir);
  const cache = createCache(cacheDir);
  const base: RunOptions = {
    provider,
    cache,
    outDir,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.maxUsd === undefined ? {} : { maxUsd: options.maxUsd }),
    pools,
    force: options.force ?? false,
    frozen,
    lock,
    ...(journal === undefined ? {} : { journal }),
    ...(claims === undefined ? {} : { claims }),
  };
  const report = (
    result: RunResult,
    written: { manifest: Manifest; path: string } | null,
    lockWritten: boolean,
  ) => toReport(result, { mode, choice, estimate, lockPath, lockWritten, written, locate });
  try {
    throwIfCancelled(options.signal); // cancelled while the provider was being set up
    // A frozen run the probe cannot prove complete verifies before it writes (frozen-run.ts).
    const result =
      mode === 'frozen' && !session.probe.complete
        ? await runFrozenInTwoPasses(plan, base, emit)
        : await runPlan(plan, { ...base, onEvent: emit, writeOutputs: mode !== 'check' });
    const complete = completed(result);
    let written: { manifest: Manifest; path: string } | null = null;
    if (mode === 'run' || (mode === 'frozen' && complete)) {
      const made = providerEntry(choice.name);
      written = await writeManifest(outDir, manifestRecipes(result, session.cwd, made), {
        generatorVersion: VERSION,
        provider: made,
      });
    }
    const writesLock = choice.paid && mode === 'run';
    if (writesLock) await writeLock(lockPath, mergeLock(lock, result.lock, plan, complete));
    return report(result, written, writesLock);
  } finally {
    await claims?.close();
    // Compacting is left to the last run out: another live run may be appending to the journal.
    const compact = claims === undefined || !(await claims.othersActive().catch(() => true));
    await journal?.close(compact ? async (key) => (await cache.get(key)) !== undefined : undefined);
    await provider.close?.();
  }
}

/** Whether any asset has an upscale model step (its workers are then started with the run). */
function hasUpscaleStep(plan: Plan): boolean {
  return plan.recipes.some((recipe) =>
    recipe.assets.some((asset) =>
      asset.steps.some((step) => step.kind === 'model' && step.catalog?.kind === 'upscale'),
    ),
  );
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('cancelled before the run started; nothing was run');
}

function toReport(
  result: RunResult,
  context: {
    mode: RunReport['mode'];
    choice: ProviderChoice;
    estimate: PlanSummary;
    lockPath: string;
    lockWritten: boolean;
    written: { manifest: Manifest; path: string } | null;
    locate: (assetKey: string) => SourceLocation;
  },
): RunReport {
  const problems: AssetProblem[] = [];
  for (const { recipe, assets } of result.recipes) {
    for (const [index, asset] of assets.entries()) {
      if (asset.status === 'ok') continue;
      const key = recipe.assets[index]?.key ?? `${recipe.name}/${asset.id}`;
      problems.push({
        asset: key,
        status: asset.status,
        error: asset.error ?? asset.status,
        location: context.locate(key),
      });
    }
  }
  return {
    status: result.cancelled ? 'cancelled' : completed(result) ? 'ok' : 'failed',
    mode: context.mode,
    provider: context.choice,
    estimate: context.estimate,
    made: result.made,
    cached: result.cached,
    failed: result.failed,
    skipped: result.skipped,
    spentUsd: result.spentUsd,
    spend: result.spend,
    durationMs: result.durationMs,
    problems,
    manifest: context.written?.manifest ?? null,
    manifestPath: context.written?.path ?? null,
    lockPath: context.lockPath,
    lockWritten: context.lockWritten,
    stopped: result.stopped ?? null,
  };
}
