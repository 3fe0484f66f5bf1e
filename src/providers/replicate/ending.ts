/**
 * How a prediction ends when it gives no result: the error for a failed, canceled or aborted one (an
 * `aborted` one blames `Cancel-After` only when this run sent it), cancelling on the server (once per id,
 * answering how the prediction ended), and the orphan of a create that was in flight when the task was
 * cancelled.
 */
import type { ProviderError } from '../../errors.js';
import type { PredictionRequest } from '../types.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { findRecentPrediction } from './create.js';
import { type ErrorContext, providerError, type Redact } from './errors.js';
import { asPrediction, isTerminal, type Prediction } from './prediction.js';

/** Cancels on the server (once per id); the prediction as the cancel answered, when it did. */
export type Canceller = (id: string, errCtx: ErrorContext) => Promise<Prediction | undefined>;

/** The error for a prediction that ended without a result; undefined when it succeeded. */
export function terminalFailure(
  prediction: Prediction,
  errCtx: ErrorContext,
  redact: Redact,
  pastDeadline: boolean,
  cancelAfterSent: boolean,
): ProviderError | undefined {
  switch (prediction.status) {
    case 'failed': {
      const text =
        typeof prediction.error === 'string' ? prediction.error : JSON.stringify(prediction.error ?? null);
      return providerError('REPLICATE_PREDICTION_FAILED', `prediction failed: ${text}`, errCtx, redact, {
        retryable: false,
      });
    }
    case 'canceled':
      return pastDeadline
        ? providerError(
            'REPLICATE_TIMEOUT',
            'timed out: Replicate cancelled it at the step deadline',
            errCtx,
            redact,
            {
              retryable: true,
            },
          )
        : providerError(
            'REPLICATE_PREDICTION_CANCELED',
            'prediction was canceled on Replicate',
            errCtx,
            redact,
          );
    case 'aborted':
      return providerError(
        'REPLICATE_PREDICTION_ABORTED',
        abortedText(prediction, cancelAfterSent),
        errCtx,
        redact,
        {
          retryable: true,
        },
      );
    default:
      return undefined;
  }
}

/**
 * What happened to an aborted prediction ("aborted" = its deadline passed before it started), blaming
 * `Cancel-After` only when this run sent one, and naming the deadline when the prediction shows it.
 */
function abortedText(prediction: Prediction, cancelAfterSent: boolean): string {
  const why =
    typeof prediction.error === 'string' && prediction.error.trim() !== ''
      ? `: ${prediction.error.trim()}`
      : '';
  const deadline = typeof prediction.deadline === 'string' ? ` (${prediction.deadline})` : '';
  const cause = cancelAfterSent
    ? `the step deadline this run sent with it (Cancel-After, from --step-timeout)${deadline} passed while it was still queued`
    : deadline !== ''
      ? `its deadline${deadline}, set when it was created, passed while it was still queued`
      : 'Replicate gave no reason, and this run sent it no deadline';
  return `prediction was aborted by Replicate before it started: ${cause}; nothing was charged${why}`;
}

/**
 * Aborted while the create was in flight: find the prediction it may have made, tell the runner it exists
 * (it is journalled and its cost booked), and cancel it.
 */
export async function cancelOrphan(
  env: { ctx: ProviderContext; claimed: Set<string>; cancelRemote: Canceller },
  create: {
    request: PredictionRequest;
    version: string | undefined;
    input: Record<string, unknown>;
    since: number;
  },
  errCtx: ErrorContext,
  reportEnd: (ended: Prediction) => void,
): Promise<void> {
  const { request, version, input, since } = create;
  try {
    const found = await findRecentPrediction(
      { ...env.ctx, maxAttempts: 2 },
      {
        model: request.model,
        version,
        input,
        signal: AbortSignal.timeout(15_000),
        claimed: env.claimed,
        since,
      },
      errCtx,
    );
    if (!found) return;
    request.onEvent?.({ type: 'prediction-created', predictionId: found.id });
    const ended = isTerminal(found)
      ? found
      : await env.cancelRemote(found.id, { ...errCtx, predictionId: found.id });
    if (ended) reportEnd(ended);
  } catch {
    env.ctx.warn(`replicate: ${request.model}: could not check for a prediction left by a cancelled create`);
  }
}

/**
 * Cancels a prediction on the server (best effort, once per id: a second caller — the task after the
 * provider's close() — shares the first call). Resolves to the prediction as the cancel answered.
 */
export function createCanceller(ctx: ProviderContext): Canceller {
  const calls = new Map<string, Promise<Prediction | undefined>>();
  const cancel = async (id: string, errCtx: ErrorContext): Promise<Prediction | undefined> => {
    try {
      const signal = AbortSignal.timeout(30_000);
      const answer: unknown = await callWithRetries(ctx, 'cancelling the prediction', errCtx, signal, () =>
        ctx.sdk.predictions.cancel(id, { signal }),
      );
      try {
        return asPrediction(answer);
      } catch {
        return undefined; // cancelled, but the answer says nothing usable about how it ended
      }
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      ctx.warn(ctx.redact(`replicate: ${errCtx.model}: could not cancel prediction ${id}: ${why}`));
      return undefined;
    }
  };
  return (id: string, errCtx: ErrorContext): Promise<Prediction | undefined> => {
    let call = calls.get(id);
    if (call === undefined) {
      call = cancel(id, errCtx);
      calls.set(id, call);
    }
    return call;
  };
}
