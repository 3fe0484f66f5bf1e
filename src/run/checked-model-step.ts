/**
 * A model step under its quality gates: runs it (or takes it from the cache), checks the result, and
 * after a failed gate runs it again with a new derived seed — up to the step's `retries`, each try its own
 * task (own key, own cache entry, own counted cost, reserved from the budget like any paid task). A bad
 * result in the cache is checked like a fresh one, so it is never served as good; the tries are
 * deterministic, so a re-run finds the try that passed in the cache and pays nothing.
 */
import { CheckFailedError } from '../errors.js';
import { PIXEL_STATS_VERSION, readImageSize } from '../image/index.js';
import type { PlannedAsset, PlannedModelStep } from '../plan/plan.js';
import type { GateFailure } from '../plan/quality-gates.js';
import { deriveSeed } from '../plan/seeds.js';
import { isInputFile } from '../providers/types.js';
import { type RunContext, SkippedError } from './context.js';
import { checkResult, type GateSubject, upscaleFactor } from './gate-check.js';
import { runModelStep, type StepResult } from './model-task.js';

export interface StepTry {
  result: StepResult;
  seed: number | undefined;
  /** The gate this try's result failed; absent when it passed. */
  failure?: GateFailure;
}

export interface CheckedStepResult {
  /** The try that passed. */
  result: StepResult;
  /** Every try in order, the passing one last. */
  tries: StepTry[];
}

/** A step whose result failed its gates on every try: carries the tries, for the manifest. */
export class StepChecksFailed extends CheckFailedError {
  constructor(
    message: string,
    readonly tries: StepTry[],
  ) {
    super(message);
  }
}

/** The step as its `attempt`-th retry runs it: a seed derived from the first try's, or only the attempt in its key. */
export function retryOf(step: PlannedModelStep, attempt: number): PlannedModelStep {
  if (step.seed === undefined) return { ...step, attempt };
  const seed = deriveSeed([String(step.seed), step.id, `retry ${attempt}`]);
  return { ...step, attempt, seed, input: { ...step.input, seed } };
}

export async function runCheckedModelStep(
  context: RunContext,
  asset: PlannedAsset,
  step: PlannedModelStep,
  earlier: ReadonlyMap<string, StepResult>,
): Promise<CheckedStepResult> {
  const { gates } = step;
  const tries: StepTry[] = [];
  const task = { asset: asset.key, step: step.id, model: step.model };
  for (let attempt = 0; ; attempt += 1) {
    const current = attempt === 0 ? step : retryOf(step, attempt);
    let result: StepResult;
    try {
      result = await runModelStep(context, asset, current, earlier);
    } catch (error) {
      const last = tries.at(-1)?.failure;
      // A retry the budget has no room for: the asset fails with the gate's reason.
      if (last !== undefined && error instanceof SkippedError && error.reason.includes('budget')) {
        throw new StepChecksFailed(
          `step ${step.id}: ${last.reason}; no budget left for try ${attempt + 1} of ${gates.retries + 1}`,
          tries,
        );
      }
      throw error;
    }
    const failure = await checkResult(gates, await subjectOf(context, result, current));
    tries.push({ result, seed: current.seed, ...(failure === undefined ? {} : { failure }) });
    if (failure === undefined) return { result, tries };
    const retrying = attempt < gates.retries && !context.signal.aborted;
    context.emit({
      type: 'check-failed',
      task,
      gate: failure.gate,
      reason: failure.reason,
      attempt: attempt + 1,
      attempts: gates.retries + 1,
      retrying,
      cached: result.cached,
    });
    if (!retrying) {
      const count = tries.length === 1 ? '1 try' : `${tries.length} tries`;
      throw new StepChecksFailed(
        `step ${step.id}: ${failure.reason} (check ${failure.gate}, ${count})`,
        tries,
      );
    }
  }
}

async function subjectOf(
  context: RunContext,
  result: StepResult,
  step: PlannedModelStep,
): Promise<GateSubject> {
  const images = result.record.files.map((file) => context.cache.objectPath(file.sha256));
  const subject: GateSubject = { images };
  const { pixels } = result.record;
  if (pixels?.v === PIXEL_STATS_VERSION && pixels.files.length === images.length)
    subject.stats = pixels.files;
  if (result.record.text !== undefined) subject.text = result.record.text;
  if (step.gates.size !== undefined && step.imageInput !== undefined) {
    const source = result.input[step.imageInput.field];
    const file = Array.isArray(source) ? source.find(isInputFile) : isInputFile(source) ? source : undefined;
    if (file !== undefined) {
      const { width, height } = await readImageSize(file.path);
      subject.upscaleOf = { width, height, factor: upscaleFactor(result.input) };
    }
  }
  return subject;
}
