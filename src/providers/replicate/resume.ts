/**
 * Crash recovery (`request.resume`, from the runner's journal). With a prediction id the task attaches to
 * that prediction instead of creating one. With only `createdAfter` (a create was sent but its id never
 * recorded) it first looks for the prediction that create made — the unknown-outcome search of create.ts,
 * with the input rule of resume-match.ts, skipping predictions claimed by another task of this provider
 * and those that failed, were canceled or aborted (they carry no result) — and adopts it; none found → the
 * caller creates. What is attached or adopted then goes through the normal task path (poll, download,
 * errors, cancel) and is reported as `prediction-created` with `resumed: true`.
 *
 * These outcomes tell the runner to run the task anew, without `resume` (a new, counted cost):
 * `REPLICATE_PREDICTION_NOT_FOUND` (Replicate does not know the id), `REPLICATE_OUTPUT_EXPIRED` (the
 * prediction's outputs were purged, about an hour after it ended), and a resumed prediction that had
 * ended failed, canceled or aborted (reported as `prediction-ended` before its error).
 */
import { expected, ProviderError } from '../../errors.js';
import type { PredictionRequest } from '../types.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { findRecentPrediction } from './create.js';
import {
  describeTask,
  type ErrorContext,
  PROVIDER,
  providerError,
  type Redact,
  TransportError,
} from './errors.js';
import { asPrediction, type Prediction } from './prediction.js';
import { createResumeMatcher } from './resume-match.js';

const RERUN = 'it will be re-run as a new prediction, a new, counted cost';
const PREDICTION_ID = /^[A-Za-z0-9_-]{1,100}$/;
const ENDED_BADLY: ReadonlySet<string> = new Set(['failed', 'canceled', 'aborted']);

export type ResumeTask = Pick<PredictionRequest, 'model' | 'input' | 'resume'>;

/** The prediction to continue with, or undefined when a new one must be created. */
export async function resumePrediction(
  ctx: ProviderContext,
  claimed: Set<string>,
  task: ResumeTask,
  version: string | undefined,
  signal: AbortSignal,
  errCtx: ErrorContext,
): Promise<Prediction | undefined> {
  const resume = task.resume;
  if (resume?.predictionId !== undefined) return attach(ctx, claimed, resume.predictionId, signal, errCtx);
  if (resume?.createdAfter === undefined) return undefined;
  const since = Date.parse(resume.createdAfter);
  if (Number.isNaN(since)) {
    throw new ProviderError(
      'REPLICATE_BAD_RESUME',
      ctx.redact(`replicate: ${expected('an ISO 8601 time', 'resume.createdAfter', resume.createdAfter)}`),
      { provider: PROVIDER, model: task.model, retryable: false },
    );
  }
  const found = await findRecentPrediction(
    ctx,
    {
      model: task.model,
      version,
      input: task.input,
      signal,
      claimed,
      since,
      matches: createResumeMatcher(ctx, task.input, signal, errCtx),
      usable: (p) => !ENDED_BADLY.has(p.status) && p.data_removed !== true,
    },
    errCtx,
  );
  if (found) ctx.warn(`replicate: ${task.model}: adopted prediction ${found.id} left by an interrupted run`);
  return found;
}

async function attach(
  ctx: ProviderContext,
  claimed: Set<string>,
  id: string,
  signal: AbortSignal,
  errCtx: ErrorContext,
): Promise<Prediction> {
  const notFound = (why: string) =>
    providerError('REPLICATE_PREDICTION_NOT_FOUND', `${why}; ${RERUN}`, errCtx, ctx.redact, {
      retryable: false,
    });
  if (!PREDICTION_ID.test(id)) throw notFound(expected('a prediction id', 'resume.predictionId', id));
  let prediction: Prediction;
  try {
    prediction = await callWithRetries(ctx, 'reading the journaled prediction', errCtx, signal, async () =>
      asPrediction(await ctx.sdk.predictions.get(id, { signal })),
    );
  } catch (err) {
    if (err instanceof TransportError && err.status === 404) {
      throw notFound(`prediction ${id} from the journal is unknown to Replicate (HTTP 404)`);
    }
    throw err;
  }
  // A journalled id is this task's own: the journal wrote it for this task's key. Its `model` and
  // `version` are not compared: official models answer under internal names with `dp-…` deployment
  // versions that change between redeploys (reference §14), so a mismatch would only pay again.
  claimed.add(prediction.id);
  return prediction;
}

/** A finished prediction whose result can no longer be fetched (purged, or no output left). */
export function outputsGone(prediction: Prediction): boolean {
  if (prediction.data_removed === true) return true;
  const output = prediction.output;
  return (
    prediction.status === 'succeeded' &&
    (output === null || output === undefined || (Array.isArray(output) && output.length === 0))
  );
}

/** `REPLICATE_OUTPUT_EXPIRED` for a resumed prediction: names it and says what happens next. */
export function expiredOnResume(prediction: Prediction, errCtx: ErrorContext, redact: Redact): ProviderError {
  return providerError(
    'REPLICATE_OUTPUT_EXPIRED',
    `the outputs of prediction ${prediction.id} have expired (Replicate removes them about an hour after ` +
      `it ends); ${RERUN}`,
    errCtx,
    redact,
    { retryable: false },
  );
}

/**
 * `REPLICATE_RESUMED_PREDICTION_ENDED`: the prediction an earlier run created ended failed, canceled or
 * aborted, so it has no result to give; the runner creates a new one.
 */
export function endedOnResume(
  prediction: Prediction,
  failure: ProviderError,
  errCtx: ErrorContext,
  redact: Redact,
): ProviderError {
  const prefix = `replicate: ${describeTask(errCtx)}: `;
  const what = failure.message.startsWith(prefix) ? failure.message.slice(prefix.length) : failure.message;
  const detail = what.replace(/ \[prediction [^\]]+\]$/, '');
  return providerError(
    'REPLICATE_RESUMED_PREDICTION_ENDED',
    `prediction ${prediction.id}, created by an earlier run, had ended ${prediction.status} (${detail}); ${RERUN}`,
    errCtx,
    redact,
    { retryable: false },
  );
}
