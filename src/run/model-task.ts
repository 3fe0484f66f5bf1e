/** Runs one model step of one asset: cache look-up, budget reservation, the provider, the cache record. */
import { rm } from 'node:fs/promises';
import { CancelledError } from '../errors.js';
import type { PlannedAsset, PlannedModelStep } from '../plan/plan.js';
import type { InputFile, ProviderEvent } from '../providers/types.js';
import { renderDeep, type TemplateValue } from '../recipe/index.js';
import type { CachedFile, TaskRecord } from '../store/cache.js';
import { once, type RunContext, SkippedError, type TaskOutcome } from './context.js';
import type { TaskRef } from './events.js';
import { modelTaskKey } from './keys.js';

export interface StepResult {
  record: TaskRecord;
  cached: boolean;
  /** The input as sent (file inputs as InputFile). */
  input: Record<string, unknown>;
  estimatedUsd: number | null;
}

export function inputFileFor(context: RunContext, file: CachedFile): InputFile {
  return {
    kind: 'file',
    path: context.cache.objectPath(file.sha256),
    sha256: file.sha256,
    bytes: file.bytes,
    contentType: file.contentType,
  };
}

function resolveInput(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  earlier: ReadonlyMap<string, StepResult>,
): Record<string, unknown> {
  let input: Record<string, unknown> = { ...step.input };
  if (step.textFrom.length > 0) {
    const vars: Record<string, TemplateValue> = { ...asset.instance.vars };
    for (const id of step.textFrom) vars[`steps.${id}.text`] = earlier.get(id)?.record.text ?? '';
    input = renderDeep(input, vars) as Record<string, unknown>;
  }
  if (step.imageInput !== undefined) {
    const upstream = earlier.get(step.imageInput.fromStep)?.record.files[0];
    if (upstream !== undefined) input[step.imageInput.field] = inputFileFor(context, upstream);
  }
  return input;
}

export async function runModelStep(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  earlier: ReadonlyMap<string, StepResult>,
): Promise<StepResult> {
  const task: TaskRef = { asset: asset.key, step: step.id, model: step.model };
  const input = resolveInput(context, asset, step, earlier);
  const version = step.version ?? context.versions.get(step.model);
  const key = modelTaskKey({ provider: context.provider.name, model: step.model, version, input });
  const estimatedUsd = context.provider.paid ? step.estimatedUsd : 0;

  const outcome = await once(context, key, async (): Promise<TaskOutcome> => {
    if (!context.force(asset.key)) {
      const hit = await context.cache.get(key);
      if (hit !== undefined) return { record: hit, cached: true };
    }
    context.emit({ type: 'task-queued', task });
    const run = async (): Promise<TaskOutcome> => {
      if (context.signal.aborted) throw new CancelledError();
      // Reserve when the task starts, not when it queues: the guard compares spent + in flight.
      const budget = context.budgetFor(asset.recipe);
      const reservation = context.provider.paid ? budget.reserve(estimatedUsd) : undefined;
      if (context.provider.paid && reservation === undefined) {
        throw new SkippedError(task, 'the budget would be exceeded');
      }
      let actualUsd: number | null = null;
      context.emit({ type: 'task-started', task });
      const workDir = await context.cache.createWorkDir();
      const started = performance.now();
      try {
        const result = await context.provider.predict({
          model: step.model,
          input,
          workDir,
          taskKey: key,
          label: { recipe: asset.recipe, asset: asset.instance.assetId, step: step.id },
          signal: context.signal,
          onEvent: (event) => forwardProviderEvent(context, task, event),
          ...(version === undefined ? {} : { version }),
          ...(step.catalog === undefined ? {} : { catalog: step.catalog }),
        });
        actualUsd = result.actualUsd;
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
        await context.cache.put(record);
        return { record, cached: false };
      } catch (error) {
        context.emit({
          type: 'task-failed',
          task,
          error: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        await rm(workDir, { recursive: true, force: true });
        if (reservation !== undefined) {
          budget.settle(reservation, actualUsd);
          context.emit({
            type: 'cost',
            spentUsd: context.budget.spentUsd(),
            reservedUsd: context.budget.reservedUsd(),
          });
        }
      }
    };
    return context.provider.paid ? context.pools.remote(step.model, run) : context.pools.local(run);
  });
  return { ...outcome, input, estimatedUsd };
}

function forwardProviderEvent(context: RunContext, task: TaskRef, event: ProviderEvent): void {
  if (event.type === 'token') context.emit({ type: 'task-token', task, text: event.text });
  else if (event.type === 'status') {
    const progress = { type: 'task-progress' as const, task, status: event.status };
    context.emit(
      event.predictionId === undefined ? progress : { ...progress, predictionId: event.predictionId },
    );
  } else if (event.type === 'prediction-created') {
    context.emit({ type: 'task-progress', task, status: 'created', predictionId: event.predictionId });
  }
}
