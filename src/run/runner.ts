/**
 * The runner: executes a plan. Every asset moves through its own chain as soon as its previous step is
 * done (no barrier between steps); pools bound the concurrency; a failed asset does not stop the others.
 */
import { setMaxListeners } from 'node:events';
import { join, resolve } from 'node:path';
import type { C2paSigner } from '../c2pa/signer.js';
import { AssetgenError, WriteError } from '../errors.js';
import { imageLibraryVersion } from '../image/index.js';
import { madeOffline } from '../manifest/placeholders.js';
import type {
  ManifestAsset,
  ManifestModelStep,
  ManifestOutput,
  ManifestStep,
  ManifestStepFile,
  ManifestTry,
} from '../manifest/types.js';
import type { Plan, PlannedAsset, PlannedModelStep, PlannedRecipe } from '../plan/plan.js';
import type { Provider } from '../providers/types.js';
import { isInputFile } from '../providers/types.js';
import { renderAssetText } from '../recipe/index.js';
import type { Cache } from '../store/cache.js';
import type { Journal } from '../store/journal.js';
import { emptyLock, type LockedModel, type LockedTask, type LockFileContent } from '../store/lock.js';
import type { LockEntrySink } from '../store/lock-spool.js';
import { type LockView, lockView } from '../store/lock-tasks.js';
import { createOutputFolder } from '../store/output-folder.js';
import type { OutputRecorder } from '../store/output-record.js';
import type { TaskClaims } from '../store/task-claims.js';
import { type AdmittedAsset, createAdmission } from './admission.js';
import { writeAssetOutputs } from './asset-outputs.js';
import { type Budget, createBudget, nestBudget } from './budget.js';
import {
  type CheckedStepResult,
  runCheckedModelStep,
  StepChecksFailed,
  type StepTry,
} from './checked-model-step.js';
import {
  createStopSwitch,
  NotStartedError,
  ProbeMissError,
  type RunContext,
  SkippedError,
} from './context.js';
import type { RunEventListener } from './events.js';
import { runImageStep } from './image-task.js';
import { readLocalInputs } from './local-inputs.js';
import { type StepResult, stepTexts } from './model-task.js';
import { createPixelMemo } from './pixel-memo.js';
import { createPools, type PoolOptions } from './pools.js';
import { createSpendLedger, type SpendTally } from './spend.js';

export interface RunOptions {
  provider: Provider;
  cache: Cache;
  outDir: string;
  signal?: AbortSignal;
  onEvent?: RunEventListener;
  maxUsd?: number;
  pools?: PoolOptions;
  /** `true` re-runs everything despite the cache; a list re-runs those asset ids. */
  force?: boolean | readonly string[];
  /** Never start a paid task: restore from the cache or fail the asset with the reason. */
  frozen?: boolean;
  /** The lock before the run: pinned versions and, for --frozen, what each task was. */
  lock?: LockView;
  /** The prediction journal, for paid providers (crash-safe resume). */
  journal?: Journal;
  /** Task claims shared with other runs on the same cache, for paid providers (no task paid twice). */
  claims?: TaskClaims;
  /** Claim local tasks too (runners on other machines share the cache: no task computed twice). */
  claimLocalTasks?: boolean;
  /** Look up only: run nothing, stop each asset at its first cache miss (for plan and budget checks). */
  probe?: boolean;
  /** Copy outputs into outDir (default true). */
  writeOutputs?: boolean;
  /** Sign every output file put into outDir with a C2PA manifest (src/c2pa/signer.ts). */
  c2pa?: C2paSigner;
  /** Told every file and folder put into outDir (the output record: stale outputs, `--prune`). */
  recorder?: OutputRecorder;
  /**
   * Each asset's entry as it finishes (any order; `position` is its index in `recipe.assets`). When set,
   * the run keeps no entries (`RecipeRunResult.assets` stays empty): memory does not grow with the plan.
   * The run waits for the returned promise before the asset's place goes to the next one.
   */
  onAsset?: (recipeIndex: number, position: number, entry: ManifestAsset) => void | Promise<void>;
  /**
   * Where the lock entries of the run's model tasks go (store/lock-spool.ts: a spool on disk). Default:
   * kept in memory and returned in `RunResult.lock.tasks`; when set, `RunResult.lock.tasks` stays empty.
   */
  lockEntries?: LockEntrySink;
}

export interface RecipeRunResult {
  recipe: PlannedRecipe;
  /** Each asset's entry, in plan order; empty when they went to `RunOptions.onAsset`. */
  assets: ManifestAsset[];
}

export interface RunResult {
  recipes: RecipeRunResult[];
  made: number;
  cached: number;
  failed: number;
  skipped: number;
  spentUsd: number;
  /** Where the money went: predictions this run created, and those it resumed from an earlier run. */
  spend: SpendTally;
  cancelled: boolean;
  durationMs: number;
  /** The lock after the run: pins and the entries of every model task that finished (unless `lockEntries` took them). */
  lock: LockFileContent;
  /** Set when a write failed in a way that stops the run (disk full, no permission …): that one line. */
  stopped?: string;
}

function errorText(error: unknown): string {
  if (error instanceof AssetgenError || error instanceof SkippedError) return error.message;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** The input as the manifest shows it: files by content, the upstream one with its step (local files: null). */
function manifestInput(
  input: Record<string, unknown>,
  imageInput: PlannedModelStep['imageInput'],
): Record<string, unknown> {
  const shown = (value: unknown, upstream: boolean): unknown =>
    isInputFile(value)
      ? { step: upstream ? (imageInput?.fromStep ?? null) : null, sha256: value.sha256 }
      : value;
  return Object.fromEntries(
    Object.entries(input).map(([name, value]) => {
      const here = imageInput?.field === name;
      if (!Array.isArray(value)) return [name, shown(value, here)];
      return [name, value.map((item, i) => shown(item, here && imageInput?.list === true && i === 0))];
    }),
  );
}

function stepFiles(result: StepResult): ManifestStepFile[] {
  return result.record.files.map((file) => ({
    sha256: file.sha256,
    bytes: file.bytes,
    content_type: file.contentType,
  }));
}

/** A model step's manifest entry: the try that counts (the last), and every try when there were more. */
function modelStepEntry(
  context: RunContext,
  step: PlannedModelStep,
  result: StepResult,
  tries: readonly StepTry[],
): ManifestModelStep {
  const final = tries.at(-1);
  const entry: ManifestModelStep = {
    id: step.id,
    kind: 'model',
    provider: result.record.provider ?? context.provider.name,
    model: step.model,
    version: result.record.version ?? null,
    input: manifestInput(result.input, step.imageInput),
    seed: final?.seed ?? step.seed ?? null,
    prediction_id: result.record.predictionId ?? null,
    prediction_origin: result.origin ?? null,
    estimated_usd: result.estimatedUsd,
    actual_usd: result.record.actualUsd ?? null,
    cache_hit: result.cached,
    duration_ms: result.record.durationMs,
    files: stepFiles(result),
  };
  if (step.deployment !== undefined) entry.deployment = step.deployment;
  if (result.record.text !== undefined) entry.text = result.record.text;
  if (tries.length > 1 || final?.failure !== undefined) entry.tries = tries.map(manifestTry);
  return entry;
}

function manifestTry(attempt: StepTry): ManifestTry {
  const { record, cached } = attempt.result;
  return {
    seed: attempt.seed ?? null,
    prediction_id: record.predictionId ?? null,
    actual_usd: cached ? 0 : (record.actualUsd ?? null),
    cache_hit: cached,
    check:
      attempt.failure === undefined ? null : { gate: attempt.failure.gate, reason: attempt.failure.reason },
  };
}

async function runAsset(
  context: RunContext,
  recipe: PlannedRecipe,
  asset: PlannedAsset,
  ticket: AdmittedAsset,
): Promise<ManifestAsset> {
  const results = new Map<string, StepResult>();
  const lastModelStep = asset.steps.findLastIndex((step) => step.kind === 'model');
  const steps: ManifestStep[] = [];
  const outputs: ManifestOutput[] = [];
  const { instance } = asset;
  const entry: ManifestAsset = {
    id: instance.assetId,
    variant: instance.variant,
    variables: instance.vars,
    status: 'ok',
    placeholder: false,
    steps,
    outputs,
  };
  if (context.stop.reason !== undefined) {
    // The run cannot write its results: an asset that has not started does not start (nor pay).
    entry.status = 'skipped';
    entry.error = `not started: ${context.stop.reason}`;
    ticket.modelsDone();
    return entry;
  }
  try {
    if (lastModelStep < 0) ticket.modelsDone();
    for (const [index, step] of asset.steps.entries()) {
      if (step.kind === 'model') {
        let checked: CheckedStepResult;
        try {
          checked = await runCheckedModelStep(context, asset, step, results);
        } catch (error) {
          // The tries that failed their gates stay in the manifest, with what each cost.
          if (error instanceof StepChecksFailed) {
            const last = error.tries.at(-1);
            if (last !== undefined) steps.push(modelStepEntry(context, step, last.result, error.tries));
          }
          throw error;
        }
        const { result, tries } = checked;
        results.set(step.id, result);
        context.emit({
          type: 'task-finished',
          task: { asset: asset.key, step: step.id, model: step.model },
          cached: result.cached,
          durationMs: result.record.durationMs,
          actualUsd: result.cached ? 0 : (result.record.actualUsd ?? null),
          ...(result.cached || result.record.text === undefined ? {} : { text: result.record.text }),
        });
        steps.push(modelStepEntry(context, step, result, tries));
        if (index === lastModelStep) ticket.modelsDone();
      } else {
        const result = await runImageStep(context, asset, step, results, recipe.loaded.dir);
        results.set(step.id, result);
        context.emit({
          type: 'task-finished',
          task: { asset: asset.key, step: step.id, model: 'image' },
          cached: result.cached,
          durationMs: result.record.durationMs,
          actualUsd: 0,
        });
        steps.push({
          id: step.id,
          kind: 'image',
          provider: 'local',
          operations: step.operations,
          cache_hit: result.cached,
          duration_ms: result.record.durationMs,
          files: stepFiles(result),
        });
      }
    }
    entry.placeholder = madeOffline(steps);
    if (asset.alt !== undefined) entry.alt = renderAssetText(asset.alt, instance, stepTexts(results));
    const written = await writeAssetOutputs(context, asset, results, recipe.loaded.dir, entry.placeholder);
    outputs.push(...written.outputs);
    entry.groups = written.groups;
    context.emit({ type: 'asset-finished', asset: asset.key, files: outputs.length, outputs });
  } catch (error) {
    entry.placeholder = madeOffline(steps);
    entry.status = context.signal.aborted
      ? 'cancelled'
      : error instanceof SkippedError || error instanceof ProbeMissError
        ? 'skipped'
        : 'failed';
    entry.error = errorText(error);
    if (error instanceof WriteError && !context.signal.aborted && context.stop.stop(error.message)) {
      context.emit({
        type: 'warning',
        message: 'the run cannot write its results: no new tasks are started (work in flight finishes)',
      });
    }
    if (error instanceof NotStartedError) return entry; // the stop was said once, for the whole run
    if (error instanceof SkippedError) {
      context.emit({ type: 'task-skipped', task: error.task, reason: error.reason });
    }
    context.emit({ type: 'asset-failed', asset: asset.key, error: entry.error, tasks: taskCount(asset) });
  }
  return entry;
}

/** The tasks of an asset: one per step and per output file (the `task-finished` events it emits when it goes well). */
function taskCount(asset: PlannedAsset): number {
  return asset.steps.length + asset.outputs.reduce((sum, output) => sum + output.files.length, 0);
}

export async function runPlan(plan: Plan, options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  // One signal for the whole run; every in-flight task listens to it, so lift the listener warning.
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const { signal } = controller;
  const emit = options.onEvent ?? (() => {});
  const force = options.force ?? false;
  const versions = new Map<string, string | undefined>();
  const runBudget = createBudget(options.maxUsd);
  const recipeBudgets = new Map<string, Budget>(
    plan.recipes.map((recipe) => [
      recipe.name,
      recipe.maxUsd === undefined ? runBudget : nestBudget(createBudget(recipe.maxUsd), runBudget),
    ]),
  );
  const lockEntries: LockEntrySink = options.lockEntries ?? new Map<string, LockedTask>();
  const context: RunContext = {
    provider: options.provider,
    cache: options.cache,
    pools: createPools(options.pools),
    budget: runBudget,
    budgetFor: (recipe) => recipeBudgets.get(recipe) ?? runBudget,
    spend: createSpendLedger(),
    signal,
    emit,
    outDir: resolve(options.outDir),
    // Temporary files are staged in the cache, never left among the outputs.
    outputs: createOutputFolder(resolve(options.outDir), {
      stagingDir: join(options.cache.dir, 'tmp'),
      ...(options.recorder === undefined ? {} : { recorder: options.recorder }),
    }),
    imageLibrary: imageLibraryVersion(),
    force: (assetKey) =>
      force === true || (Array.isArray(force) && force.some((id) => assetKey.split('/')[1] === id)),
    inflight: new Map(),
    ...(force === false || (Array.isArray(force) && force.length === 0)
      ? {}
      : { finished: new Set<string>() }),
    pixels: createPixelMemo(),
    localInputs: await readLocalInputs(plan),
    versions,
    frozen: options.frozen === true,
    probe: options.probe === true,
    writeOutputs: options.writeOutputs !== false && options.probe !== true,
    ...(options.c2pa === undefined ? {} : { c2pa: options.c2pa }),
    lock: options.lock ?? lockView(emptyLock()),
    lockEntries,
    stop: createStopSwitch(),
    ...(options.journal === undefined ? {} : { journal: options.journal }),
    ...(options.claims === undefined ? {} : { claims: options.claims }),
    claimLocal: options.claims !== undefined && options.claimLocalTasks === true,
  };

  const { lock } = context;
  const offline = options.frozen === true || options.probe === true;
  const pins = await resolveVersions(plan, options.provider, lock, offline, signal);
  for (const [model, pin] of Object.entries(pins)) if (pin.version !== null) versions.set(model, pin.version);

  // Assets enter through windows, in plan order (admission.ts): every pool stays busy, memory stays bounded.
  // Only the admitted assets exist as promises: a plan of 100,000 holds as many as one of 200.
  const admission = createAdmission(options.pools);
  const counts = { made: 0, cached: 0, failed: 0, skipped: 0 };
  const recipes: RecipeRunResult[] = plan.recipes.map((recipe) => ({ recipe, assets: [] }));
  const running = new Set<Promise<void>>();
  let sinkError: { error: unknown } | undefined;
  const finish = async (recipeIndex: number, position: number, entry: ManifestAsset): Promise<void> => {
    if (entry.status === 'ok') {
      if (entry.steps.every((step) => step.cache_hit)) counts.cached++;
      else counts.made++;
    } else if (entry.status === 'skipped') counts.skipped++;
    else counts.failed++;
    if (options.onAsset === undefined) {
      (recipes[recipeIndex] as RecipeRunResult).assets[position] = entry;
      return;
    }
    try {
      await options.onAsset(recipeIndex, position, entry);
    } catch (error) {
      sinkError ??= { error };
    }
  };
  for (const [recipeIndex, recipe] of plan.recipes.entries()) {
    for (const [position, asset] of recipe.assets.entries()) {
      const ticket = await admission.enter();
      const done = runAsset(context, recipe, asset, ticket)
        .then((entry) => finish(recipeIndex, position, entry))
        .finally(() => {
          ticket.leave();
          running.delete(done);
        });
      running.add(done);
    }
  }
  while (running.size > 0) await Promise.all(running);
  if (sinkError !== undefined) throw sinkError.error;
  const result: RunResult = {
    recipes,
    ...counts,
    spentUsd: context.budget.spentUsd(),
    spend: context.spend.tally(),
    cancelled: signal.aborted,
    durationMs: Math.round(performance.now() - started),
    lock: {
      lockfile_version: 1,
      models: pins,
      tasks: lockEntries instanceof Map ? Object.fromEntries(lockEntries) : {},
    },
  };
  if (context.stop.reason !== undefined) result.stopped = context.stop.reason;
  const { made, cached, failed, skipped, spentUsd, cancelled, durationMs } = result;
  emit({ type: 'run-finished', made, cached, failed, skipped, spentUsd, cancelled, durationMs });
  return result;
}

/**
 * The version each model runs at: the recipe's `owner/name:version`, else the lock's pin, else (community
 * models, paid provider) the latest version, looked up before anything is spent. Official models have none.
 */
async function resolveVersions(
  plan: Plan,
  provider: Provider,
  lock: Pick<LockFileContent, 'models'>,
  frozen: boolean,
  signal: AbortSignal,
): Promise<Record<string, LockedModel>> {
  const pins: Record<string, LockedModel> = {};
  for (const recipe of plan.recipes) {
    // A recipe's steps, and so its models and versions, are the same for all its assets: its first asset
    // says them (reading every asset planned all of them again: 2.5 s before the first task at 100,000).
    for (const step of recipe.assets[0]?.steps ?? []) {
      if (step.kind !== 'model' || step.version !== undefined || pins[step.model] !== undefined) continue;
      const official = step.catalog?.official === true;
      const pinned = lock.models[step.model];
      // A fetched schema's hash stays pinned (model-resolution.ts put it in the lock before the run).
      const schema = pinned?.schema === undefined ? {} : { schema: pinned.schema };
      if (official || !provider.paid) pins[step.model] = { version: null, official, ...schema };
      else if (pinned?.version) pins[step.model] = pinned;
      else if (!frozen && provider.resolveVersion !== undefined) {
        pins[step.model] = {
          version: (await provider.resolveVersion(step.model, signal)) ?? null,
          official,
        };
      } else pins[step.model] = { version: null, official, ...schema };
    }
  }
  return pins;
}
