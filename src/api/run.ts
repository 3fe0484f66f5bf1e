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
import { join, resolve } from 'node:path';
import type { C2paSigningOptions } from '../c2pa/signer.js';
import { CancelledError, formatProblem, type SourceLocation } from '../errors.js';
import type { Manifest } from '../manifest/types.js';
import { readExistingRecipes } from '../manifest/write.js';
import type { Plan } from '../plan/plan.js';
import type { PlanSummary } from '../plan/summary.js';
import type { RunEvent, RunEventListener } from '../run/events.js';
import { preflight } from '../run/preflight.js';
import { type RunOptions, type RunResult, runPlan } from '../run/runner.js';
import type { SpendTally } from '../run/spend.js';
import { createCache } from '../store/cache.js';
import { type Journal, openJournal } from '../store/journal.js';
import { probeRemoteWritable } from '../store/open-store.js';
import { type OutputRecord, openOutputRecord, type RunRecorder } from '../store/output-record.js';
import { createTaskClaims, type TaskClaims } from '../store/task-claims.js';
import { assetLocator, withAssetLocations } from './asset-locations.js';
import { checkBudget } from './budget-check.js';
import { openRunSigner } from './c2pa-signing.js';
import { completed, runFrozenInTwoPasses } from './frozen-run.js';
import {
  DEFAULT_OUT_DIR,
  REPLICATE_CREATES_PER_MINUTE,
  type ReplicateOptions,
  type SessionOptions,
} from './options.js';
import { poolLimits } from './pool-limits.js';
import {
  createProvider,
  offlineStandIn,
  type ProviderChoice,
  refuseOfflineFallback,
} from './provider-choice.js';
import { type AssetProblem, NO_LOCK, openRunOutput, type RunOutput } from './run-output.js';
import { openSession, type Session } from './session.js';
import { closeSharedCache } from './shared-cache.js';
import { judgeStaleOutputs, type StaleOutputs } from './stale-outputs.js';

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
  /**
   * After a run that wrote the manifest, remove the stale outputs: files assetgen wrote into the output
   * folder that the manifest (every recipe's entry) no longer lists — never a file that no longer holds
   * the bytes assetgen wrote, one a run still going on wrote, or an earlier file of an asset that did not
   * finish in this run. Not after a cancelled run. Without it they are only reported (`RunReport.stale`).
   */
  prune?: boolean;
  /**
   * Read the manifest written back into `RunReport.manifest` (default `true`). A run streams its manifest
   * to disk and holds no entries; `false` keeps it that way to the end (the CLI sets it; large runs should).
   */
  returnManifest?: boolean;
  /** How long a claim on a task in a remote `cache` counts without renewal (default 30 s). */
  claimLeaseMs?: number;
  /**
   * Sign every output file with a C2PA manifest (opt-in; needs the optional `@contentauth/c2pa-wasm`):
   * PEM paths of the certificate chain (signer first) and its key. Checked before anything is spent
   * (UsageError). Signed files are not byte-stable across fresh caches; unsigned outputs are unchanged.
   */
  c2pa?: C2paSigningOptions;
}

export type { AssetProblem } from './run-output.js';

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
  /**
   * The manifest written (for a shard: its manifest part), or null when none was (`check`, a failing
   * `frozen` run) or when `returnManifest` is false.
   */
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
  /** The output folder's stale outputs after the run (and what `prune` removed); null when no manifest was written. */
  stale: StaleOutputs | null;
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
  const session = await openSession(files, options, { frozen, signal: options.signal });
  try {
    return await executeSession(session, options, mode);
  } finally {
    await session.lock.close();
    await closeSharedCache(options, session.remote);
  }
}

async function executeSession(
  session: Session,
  options: RunRecipesOptions,
  mode: RunReport['mode'],
): Promise<RunReport> {
  const frozen = mode !== 'run';
  const { plan, choice, cacheDir, lock, lockPath, remote } = session;
  // A profile's outputs (and its manifest) live apart from the recipe's own: `<out>/<profile>/`.
  const outDir = resolve(session.cwd, options.out ?? DEFAULT_OUT_DIR, options.profile ?? '');
  // C2PA credentials, the library and every output format proven to sign before a request or a write (UsageError).
  const signer =
    options.c2pa === undefined || mode === 'check'
      ? undefined
      : await openRunSigner(options.c2pa, plan, session.cwd);
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
  if (remote !== undefined && mode === 'run') await probeRemoteWritable(remote);
  const estimate = verdict.summary;
  let record: OutputRecord | undefined;
  if (mode !== 'check') {
    await readExistingRecipes(outDir, () => true); // refuses a manifest of a newer format first (reads no entry)
    // What assetgen wrote into this output folder, kept in the cache (refuses a record of a newer format).
    record = await openOutputRecord(cacheDir, outDir);
  }
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
  for (const note of session.modelNotes) warn(note);
  const upscaler = session.localUpscaler;
  if (upscaler?.name === 'lanczos' && upscaler.fallback !== undefined && !frozen) warn(upscaler.fallback);
  const pools = poolLimits(plan, {
    ...(options.concurrency === undefined ? {} : { remote: options.concurrency }),
    ...(options.localConcurrency === undefined ? {} : { local: options.localConcurrency }),
  });
  const provider = frozen
    ? offlineStandIn(choice, upscaler)
    : await createProvider(choice, replicateFor(options.replicate, plan), warn, {
        ...(upscaler === undefined ? {} : { upscaler }),
        cwd: session.cwd,
        workers: pools.local ?? Math.max(1, availableParallelism()),
        prewarm: !session.probe.complete && hasNetworkUpscale(plan),
      });
  const journal: Journal | undefined = choice.paid && !frozen ? await openJournal(cacheDir) : undefined;
  // Runs sharing the cache folder pay for each task once between them (store/task-claims.ts); runners on
  // several machines sharing a remote store run every task, paid or local, once between them.
  const claims: TaskClaims | undefined = frozen
    ? undefined
    : remote !== undefined
      ? createTaskClaims(remote, options.claimLeaseMs === undefined ? {} : { leaseMs: options.claimLeaseMs })
      : journal === undefined
        ? undefined
        : createTaskClaims(cacheDir);
  const cache = createCache(cacheDir, remote === undefined ? {} : { remote });
  let recorder: RunRecorder | undefined;
  // `run-finished` stays the last event: held back until the manifest and the stale outputs are done.
  let finished: RunEvent | undefined;
  const runnerEmit: RunEventListener = (event) => {
    if (event.type === 'run-finished') finished = event;
    else emit(event);
  };
  const emitFinished = () => {
    if (finished !== undefined) emit(finished);
    finished = undefined;
  };
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
    claimLocalTasks: remote !== undefined,
    ...(signer === undefined ? {} : { c2pa: signer }),
  };
  const writesLock = choice.paid && mode === 'run';
  // The manifest streams to disk as assets finish (run-output.ts); `check` writes none.
  let output: RunOutput | undefined;
  let written: { manifest: Manifest | null; path: string } | null = null;
  try {
    throwIfCancelled(options.signal); // cancelled while the provider was being set up
    if (record !== undefined) {
      recorder = await record.startRun();
      base.recorder = recorder;
    }
    if (mode !== 'check') {
      output = await openRunOutput({
        plan,
        outDir,
        cwd: session.cwd,
        provider: choice.name,
        locate,
        returnManifest: options.returnManifest !== false,
        spoolDir: join(cacheDir, 'tmp'),
        lock: writesLock ? { path: lockPath, before: lock } : null,
      });
    }
    // A frozen run the probe cannot prove complete verifies before it writes (frozen-run.ts); a frozen
    // run always has an output (only `check` has none).
    const twoPasses = mode === 'frozen' && !session.probe.complete;
    // Lock entries go to the lock's spool when the run writes a lock, else nowhere (run-output.ts).
    base.lockEntries = output?.lockEntries ?? NO_LOCK;
    const result =
      twoPasses && output !== undefined
        ? await runFrozenInTwoPasses(plan, base, runnerEmit, output.onAsset)
        : await runPlan(plan, {
            ...base,
            onEvent: runnerEmit,
            writeOutputs: mode !== 'check',
            ...(output === undefined ? {} : { onAsset: output.onAsset }),
          });
    const complete = completed(result);
    await recorder?.close(); // this run's segment is complete: the record folds it in below
    if (recorder?.error !== undefined) warn(recorder.error);
    let stale: StaleOutputs | null = null;
    const runOutput = output;
    if (runOutput !== undefined && (mode === 'run' || complete)) {
      if (record === undefined || plan.shard !== undefined) written = await runOutput.writeManifest();
      else {
        const outputRecord = record;
        // Under the output folder's lock: runs writing to it at once neither lose manifest entries nor
        // judge each other's files stale. A shard's part is judged by nobody: `merge` makes the manifest.
        ({ written, stale } = await outputRecord.locked(async (recorded) => {
          const manifest = await runOutput.writeManifest();
          const judged = await judgeStaleOutputs(recorded, {
            outDir: outputRecord.outDir,
            listed: runOutput.listedPaths(),
            unfinished: new Set(runOutput.problems.map((problem) => problem.asset)),
            prune: options.prune === true && !result.cancelled,
          });
          return { written: manifest, stale: judged };
        }));
        emit({ type: 'stale-outputs', ...stale });
      }
    }
    const lockWritten = (await output?.writeLock(result, complete)) ?? false;
    const problems = output?.problems ?? problemsOf(result, locate);
    emitFinished();
    return toReport(result, { mode, choice, estimate, lockPath, lockWritten, written, problems, stale });
  } finally {
    await output?.discard(); // the spools; a manifest written stays
    emitFinished();
    await recorder?.close().catch(() => {});
    await record?.close();
    await claims?.close();
    // Compacting is left to the last run out: another live run may be appending to the journal.
    const compact = claims === undefined || !(await claims.othersActive().catch(() => true));
    await journal?.close(compact ? async (key) => (await cache.get(key)) !== undefined : undefined);
    await provider.close?.();
  }
}

/**
 * The Replicate options of a run: a shard paces its creates at the account's default limit ÷ n unless
 * `createsPerMinute` says otherwise (the limiter still follows what the service reports).
 */
function replicateFor(replicate: ReplicateOptions | undefined, plan: Plan): ReplicateOptions | undefined {
  if (plan.shard === undefined || replicate?.createsPerMinute !== undefined) return replicate;
  const createsPerMinute = Math.max(1, Math.floor(REPLICATE_CREATES_PER_MINUTE / plan.shard.count));
  return { ...replicate, createsPerMinute };
}

/**
 * Whether an offline run may run the upscaling network: an upscale step whose picture is not an offline
 * placeholder (those are drawn again at the new size: a text-to-image step's result, or an upscale of one).
 */
function hasNetworkUpscale(plan: Plan): boolean {
  // A recipe's steps are the same for all its assets: one asset says it (assets are planned when read).
  return plan.recipes.some((recipe) => {
    const steps = recipe.assets[0]?.steps ?? [];
    const byId = new Map(steps.map((step) => [step.id, step]));
    const placeholder = (id: string | undefined, depth = 0): boolean => {
      const step = id === undefined ? undefined : byId.get(id);
      if (step?.kind !== 'model' || depth > steps.length) return false;
      if (step.catalog?.kind === 'text-to-image') return true;
      return step.catalog?.kind === 'upscale' && placeholder(step.imageInput?.fromStep, depth + 1);
    };
    return steps.some(
      (step) =>
        step.kind === 'model' && step.catalog?.kind === 'upscale' && !placeholder(step.imageInput?.fromStep),
    );
  });
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError('cancelled before the run started; nothing was run');
}

function problemsOf(result: RunResult, locate: (assetKey: string) => SourceLocation): AssetProblem[] {
  const problems: AssetProblem[] = [];
  for (const { recipe, assets } of result.recipes) {
    for (const [index, asset] of assets.entries()) {
      if (asset.status === 'ok') continue;
      const key = recipe.assets[index]?.key ?? `${recipe.name}/${asset.id}`;
      problems.push({
        asset: key,
        status: asset.status,
        error: asset.error ?? asset.status,
        location: locate(key),
      });
    }
  }
  return problems;
}

function toReport(
  result: RunResult,
  context: {
    mode: RunReport['mode'];
    choice: ProviderChoice;
    estimate: PlanSummary;
    lockPath: string;
    lockWritten: boolean;
    written: { manifest: Manifest | null; path: string } | null;
    problems: AssetProblem[];
    stale: StaleOutputs | null;
  },
): RunReport {
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
    problems: context.problems,
    manifest: context.written?.manifest ?? null,
    manifestPath: context.written?.path ?? null,
    lockPath: context.lockPath,
    lockWritten: context.lockWritten,
    stopped: result.stopped ?? null,
    stale: context.stale,
  };
}
