/**
 * Runs one model step of one asset: cache look-up, frozen check, budget reservation, journal, the
 * provider (re-attaching to a journalled prediction after a crash, unless it ended without a result or
 * the asset is forced), the cache record and the lock entry.
 */
import { rm } from 'node:fs/promises';
import { FrozenError, ProviderError } from '../errors.js';
import { PIXEL_STATS_VERSION, pixelStats } from '../image/index.js';
import { type PlannedAsset, type PlannedModelStep, stepPosition } from '../plan/plan.js';
import { needsPixels } from '../plan/quality-gates.js';
import type { InputFile, PredictionRequest, ProviderEvent } from '../providers/types.js';
import { isInputFile } from '../providers/types.js';
import { renderDeep, type TemplateValue } from '../recipe/index.js';
import type { CachedFile, TaskRecord } from '../store/cache.js';
import { hashKey } from '../store/hash.js';
import type { JournalEntry } from '../store/journal.js';
import { type LockedTask, lockMismatch, lockTaskId } from '../store/lock.js';
import { runClaimed, type TaskJournal } from './claimed-task.js';
import { once, ProbeMissError, type RunContext, SkippedError, type TaskOutcome } from './context.js';
import type { TaskRef } from './events.js';
import { modelTaskKey } from './keys.js';
import { withLocalInputs } from './local-inputs.js';
import type { PredictionOrigin } from './spend.js';
import { createTaskLease, type TaskLease } from './task-lease.js';

export interface StepResult {
  record: TaskRecord;
  cached: boolean;
  /** The input as sent (file inputs as InputFile). */
  input: Record<string, unknown>;
  estimatedUsd: number | null;
  /** Whether this run created the prediction or resumed an earlier run's; absent for cache hits. */
  origin?: PredictionOrigin;
}

/** The results of the text steps among `results`, by step id (`{{ steps.<id>.text }}`). */
export function stepTexts(results: ReadonlyMap<string, StepResult>): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const [id, result] of results) if (result.record.text !== undefined) texts[id] = result.record.text;
  return texts;
}

/** Provider error codes after which a journalled prediction is given up and the task created anew. */
const RESUME_LOST = new Set([
  'REPLICATE_OUTPUT_EXPIRED',
  'REPLICATE_PREDICTION_NOT_FOUND',
  'REPLICATE_RESUMED_PREDICTION_ENDED',
]);

export function inputFileFor(context: RunContext, file: CachedFile): InputFile {
  return {
    kind: 'file',
    path: context.cache.objectPath(file.sha256),
    sha256: file.sha256,
    bytes: file.bytes,
    contentType: file.contentType,
  };
}

/** Everything that identifies a model task before it runs: its input, version, key and lock fields. */
export interface ModelTaskIdentity {
  task: TaskRef;
  input: Record<string, unknown>;
  version: string | undefined;
  key: string;
  inputHash: string;
  upstream: string[];
}

export function identifyModelTask(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  earlier: ReadonlyMap<string, StepResult>,
): ModelTaskIdentity {
  let input: Record<string, unknown> = { ...step.input };
  if (step.textFrom.length > 0) {
    const vars: Record<string, TemplateValue> = { ...asset.instance.vars };
    for (const id of step.textFrom) vars[`steps.${id}.text`] = earlier.get(id)?.record.text ?? '';
    input = renderDeep(input, vars) as Record<string, unknown>;
  }
  input = withLocalInputs(input, step, context.localInputs);
  if (step.imageInput !== undefined) {
    const upstream = earlier.get(step.imageInput.fromStep)?.record.files[0];
    const { field, list } = step.imageInput;
    if (upstream !== undefined) {
      const file = inputFileFor(context, upstream);
      const listed = Array.isArray(input[field]) ? (input[field] as unknown[]) : [];
      input[field] = list === true ? [file, ...listed] : file;
    }
  }
  const version = step.version ?? context.versions.get(step.model);
  const plain = Object.fromEntries(
    Object.entries(input).flatMap(([key, value]) => {
      if (isInputFile(value)) return [];
      if (!Array.isArray(value) || !value.some(isInputFile)) return [[key, value]];
      const rest = value.filter((item) => !isInputFile(item));
      return rest.length === 0 ? [] : [[key, rest]];
    }),
  );
  const upstream = Object.values(input)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter(isInputFile)
    .map((file) => file.sha256);
  return {
    task: { asset: asset.key, step: step.id, model: step.model },
    input,
    version,
    key: modelTaskKey({
      provider: context.provider.name,
      model: step.model,
      version,
      deployment: step.deployment,
      input,
      providerParts: context.provider.taskKeyParts?.(step.catalog),
      attempt: step.attempt,
    }),
    inputHash: hashKey(plain),
    upstream,
  };
}

function lockEntry(identity: ModelTaskIdentity, step: PlannedModelStep, record: TaskRecord): LockedTask {
  return {
    model: step.model,
    version: record.version ?? identity.version ?? null,
    input_hash: identity.inputHash,
    upstream: identity.upstream,
    seed: step.seed ?? null,
    key: identity.key,
    outputs: record.files.map((file) => file.sha256),
    prediction_id: record.predictionId ?? null,
    cost_usd: record.actualUsd ?? null,
  };
}

/** The gates' measurements of a result's files; undefined when one is no readable picture (the gate says why). */
async function measurePixels(
  context: RunContext,
  files: readonly CachedFile[],
): Promise<TaskRecord['pixels']> {
  try {
    const stats = await Promise.all(files.map((file) => pixelStats(context.cache.objectPath(file.sha256))));
    return { v: PIXEL_STATS_VERSION, files: stats };
  } catch {
    return undefined;
  }
}

/** The metrics the price history reads (`models/price-history.ts`), when the provider reported any. */
function recordedMetrics(metrics: Readonly<Record<string, number>> | undefined): TaskRecord['metrics'] {
  if (metrics === undefined) return undefined;
  const kept: NonNullable<TaskRecord['metrics']> = {};
  if (typeof metrics.predict_time === 'number') kept.predict_time = metrics.predict_time;
  if (typeof metrics.image_count === 'number') kept.image_count = metrics.image_count;
  return Object.keys(kept).length > 0 ? kept : undefined;
}

/** Appends a `created` or `ended` line: written within this turn of the event loop, not flushed. */
function journalLine(
  context: RunContext,
  journal: TaskJournal | undefined,
  line: Extract<JournalEntry, { type: 'created' | 'ended' }>,
): void {
  journal?.append(line).catch((error: unknown) => {
    // Not fatal: the intent already on disk lets a later run find this prediction by searching, and a
    // resumed prediction that had ended is recognised when it is read.
    const reason = error instanceof Error ? error.message : String(error);
    const what =
      line.type === 'ended' ? `how prediction ${line.predictionId} ended` : `prediction ${line.predictionId}`;
    context.emit({ type: 'warning', message: `could not journal ${what}: ${reason}` });
  });
}

function forwardProviderEvent(
  context: RunContext,
  identity: ModelTaskIdentity,
  lease: TaskLease,
  journal: TaskJournal | undefined,
  event: ProviderEvent,
): void {
  const { task } = identity;
  if (event.type === 'token') context.emit({ type: 'task-token', task, text: event.text });
  else if (event.type === 'status') {
    const progress = { type: 'task-progress' as const, task, status: event.status };
    context.emit(
      event.predictionId === undefined ? progress : { ...progress, predictionId: event.predictionId },
    );
  } else if (event.type === 'prediction-created') {
    lease.predictionStarted(event.predictionId, event.resumed === true ? 'resumed' : 'created');
    const at = new Date().toISOString();
    const { key } = identity;
    journalLine(context, journal, {
      type: 'created',
      key,
      model: task.model,
      predictionId: event.predictionId,
      at,
    });
    const status = event.resumed === true ? 'resumed' : 'created';
    context.emit({ type: 'task-progress', task, status, predictionId: event.predictionId });
  } else if (event.type === 'prediction-ended') {
    lease.predictionEnded(event.predictionId, event.actualUsd);
    if (event.status !== 'succeeded') {
      const { predictionId, status } = event;
      const at = new Date().toISOString();
      journalLine(context, journal, {
        type: 'ended',
        key: identity.key,
        model: task.model,
        predictionId,
        status,
        at,
      });
    }
  }
}

/**
 * Calls the provider, resuming a journalled prediction first when there is one that may still give a
 * result: not under `--force` (always a new prediction), and not when it ended failed, canceled or aborted.
 */
async function predictWithResume(
  context: RunContext,
  identity: ModelTaskIdentity,
  request: PredictionRequest,
  lease: TaskLease,
  forced: boolean,
  journal: TaskJournal | undefined,
) {
  const journalled = context.provider.paid && !forced ? journal?.lookup() : undefined;
  // An earlier run's prediction that gave no result: the one created now stands in for it.
  if (journalled?.ended !== undefined) lease.replacing();
  else if (journalled !== undefined) {
    const resume: NonNullable<PredictionRequest['resume']> = {};
    if (journalled.predictionId !== undefined) resume.predictionId = journalled.predictionId;
    if (journalled.intentAt !== undefined) resume.createdAfter = journalled.intentAt;
    try {
      return await context.provider.predict({ ...request, resume });
    } catch (error) {
      if (context.signal.aborted || !(error instanceof ProviderError && RESUME_LOST.has(error.code))) {
        throw error;
      }
      context.emit({
        type: 'warning',
        message: `${error.message}; running ${identity.task.asset} ${identity.task.step} again`,
      });
      await lease.restart();
      lease.replacing();
    }
  }
  if (context.provider.paid) {
    await journal?.append({
      type: 'intent',
      key: identity.key,
      model: identity.task.model,
      at: new Date().toISOString(),
    });
  }
  return context.provider.predict(request);
}

export async function runModelStep(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  earlier: ReadonlyMap<string, StepResult>,
): Promise<StepResult> {
  const identity = identifyModelTask(context, asset, step, earlier);
  const { task, input, version, key } = identity;
  const estimatedUsd = context.provider.paid ? step.estimatedUsd : 0;

  const outcome = await once(context, key, async (): Promise<TaskOutcome> => {
    // --force re-runs a task once per run: an identical task later in the run takes its fresh result.
    if (!context.force(asset.key) || context.finished?.has(key) === true) {
      const hit = await context.cache.get(key);
      if (hit !== undefined) return { record: hit, cached: true };
    }
    if (context.probe) throw new ProbeMissError(key);
    if (context.frozen && context.provider.paid) {
      const mismatch = lockMismatch(context.lock.tasks.get(lockTaskId(asset.key, step.id, asset.profile)), {
        version: version ?? null,
        inputHash: identity.inputHash,
        upstream: identity.upstream,
      });
      throw new FrozenError(
        `--frozen: ${asset.key} step ${step.id} would start a paid task: ${mismatch ?? 'its result is not in the cache (restore the cache folder)'}`,
      );
    }
    context.emit({ type: 'task-queued', task });
    const paid = context.provider.paid;
    const run = async (journal?: TaskJournal): Promise<TaskOutcome> => {
      const lease = createTaskLease(context, asset, step, task, estimatedUsd);
      const workDir = await context.cache.createWorkDir();
      try {
        await lease.start();
        context.emit({ type: 'task-started', task });
        const started = performance.now();
        const result = await predictWithResume(
          context,
          identity,
          {
            model: step.model,
            input,
            workDir,
            taskKey: key,
            label: { recipe: asset.recipe, asset: asset.instance.assetId, step: step.id },
            signal: context.signal,
            onEvent: (event) => forwardProviderEvent(context, identity, lease, journal, event),
            ...(paid ? { onModelDone: lease.onModelDone } : {}),
            ...(version === undefined ? {} : { version }),
            ...(step.deployment === undefined ? {} : { deployment: step.deployment }),
            ...(step.catalog === undefined ? {} : { catalog: step.catalog }),
            ...(step.pricing === undefined ? {} : { pricing: step.pricing }),
          },
          lease,
          context.force(asset.key),
          journal,
        );
        lease.modelDone(result.actualUsd);
        const files = await context.cache.adopt(result.files);
        const record: TaskRecord = {
          key,
          kind: 'model',
          created: new Date().toISOString(),
          provider: result.provider,
          model: step.model,
          actualUsd: result.actualUsd,
          durationMs: Math.round(performance.now() - started),
          files,
        };
        const ranVersion = result.version ?? version;
        if (ranVersion !== undefined) record.version = ranVersion;
        if (result.predictionId !== undefined) record.predictionId = result.predictionId;
        if (result.text !== undefined) record.text = result.text;
        const metrics = recordedMetrics(result.metrics);
        if (metrics !== undefined) record.metrics = metrics;
        if (needsPixels(step.gates) && files.length > 0) {
          const pixels = await measurePixels(context, files);
          if (pixels !== undefined) record.pixels = pixels;
        }
        await context.cache.put(record);
        const origin = paid ? (lease.origin() ?? 'created') : undefined;
        return { record, cached: false, ...(origin === undefined ? {} : { origin }) };
      } catch (error) {
        if (!(error instanceof SkippedError)) {
          context.emit({
            type: 'task-failed',
            task,
            error: error instanceof Error ? error.message : String(error),
          });
        }
        throw error;
      } finally {
        lease.end();
        await rm(workDir, { recursive: true, force: true });
      }
    };
    // Runs sharing the cache run it once between them (claimed-task.ts).
    const useCached = !context.force(asset.key) || context.finished?.has(key) === true;
    if (paid) return runClaimed(context, key, task, { useCached }, run);
    const local = () => context.pools.local(() => run(), stepPosition(asset, step));
    return context.claimLocal ? runClaimed(context, key, task, { useCached }, local) : local();
  });
  context.lockEntries.set(
    lockTaskId(asset.key, step.id, asset.profile),
    lockEntry(identity, step, outcome.record),
  );
  const result: StepResult = { record: outcome.record, cached: outcome.cached, input, estimatedUsd };
  if (!outcome.cached && outcome.origin !== undefined) result.origin = outcome.origin;
  return result;
}
