/**
 * One task on Replicate, start to finish: file inputs → create (with adoption) — or, resuming after a
 * crash, the journaled or adopted prediction (resume.ts) → SSE tokens for language models → poll or
 * webhook until terminal → outputs downloaded, hashed and probed → actual cost. Any exit with the
 * prediction still running cancels it on the server; an abort ends in `CancelledError`.
 *
 * The runner hears of every prediction: `prediction-created` (with `resumed` when an earlier run created
 * it) as soon as it exists, and `prediction-ended`, with its cost from its metrics (cost.ts), when it ends
 * without handing this call its result — failed, canceled (by us, the deadline or anyone), aborted — so
 * that the journal records the end and the budget books what it really cost.
 */
import { CancelledError, ProviderError } from '../../errors.js';
import type { PredictionRequest, PredictionResult, ProviderEvent } from '../types.js';
import type { FetchLike } from './client.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { actualCostUsd, endedCostUsd } from './cost.js';
import { createPrediction } from './create.js';
import { downloadOutputs } from './download.js';
import { type Canceller, cancelOrphan, terminalFailure } from './ending.js';
import { type ErrorContext, PROVIDER, providerError, toProviderError } from './errors.js';
import { prepareInputs, toUploadFile } from './file-inputs.js';
import { linkSignals } from './linked-signal.js';
import { type PollOptions, waitForPrediction } from './poll.js';
import { isTerminal, numericMetrics, type Prediction, splitOutput, versionRan } from './prediction.js';
import { endedOnResume, expiredOnResume, outputsGone, resumePrediction } from './resume.js';
import { readTokenStream } from './stream.js';
import type { WebhookPlan } from './webhooks.js';

export interface TaskEnv {
  ctx: ProviderContext;
  /** Plain fetch (no token) for output downloads and SSE streams. */
  fetch: FetchLike;
  waitSeconds: number;
  stepTimeoutMs: number | undefined;
  /** Provider-wide abort (close()). */
  closing: AbortSignal;
  claimed: Set<string>;
  inFlight: Map<string, ErrorContext>;
  cancelRemote: Canceller;
  /** Webhook URL to put on creates, and the waiter for deliveries; absent without webhooks. */
  webhook?: (request: PredictionRequest) => Promise<WebhookPlan>;
  probe: (path: string) => Promise<unknown>;
  poll?: Partial<Pick<PollOptions, 'firstDelayMs' | 'factor' | 'maxDelayMs' | 'jitter' | 'bootingAfterMs'>>;
}

export async function runTask(env: TaskEnv, request: PredictionRequest, version: string | undefined) {
  const { ctx } = env;
  const errCtx: ErrorContext = { model: request.model, label: request.label };
  const linked = linkSignals([request.signal, env.closing]);
  const { signal } = linked;
  const emit = (event: ProviderEvent): void => request.onEvent?.(event);
  /** A prediction that ended without handing this call its result: the runner journals and books it. */
  const reportEnd = (ended: Prediction): void => {
    if (!isTerminal(ended)) return;
    const status = ended.status as 'succeeded' | 'failed' | 'canceled' | 'aborted';
    emit({
      type: 'prediction-ended',
      predictionId: ended.id,
      status,
      actualUsd: endedCostUsd(request.pricing ?? request.catalog?.pricing, ended),
    });
  };
  const start = ctx.time.clock();
  const deadline = env.stepTimeoutMs === undefined ? undefined : start + env.stepTimeoutMs;
  const textModel = request.catalog?.kind === 'text';
  let prediction: Prediction | undefined;
  let resumed = false;
  let createSent = false;
  let cancelAfterSent = false;
  let input: Record<string, unknown> = {};
  let hook: WebhookPlan | undefined;
  let createSentAt = start;
  let phase = 'preparing the inputs';
  try {
    if (signal.aborted) throw new CancelledError();
    if (request.resume) {
      phase = 'resuming the prediction';
      prediction = await resumePrediction(ctx, env.claimed, request, version, signal, errCtx);
      resumed = prediction !== undefined;
    }
    if (!prediction) {
      phase = 'preparing the inputs';
      input = await prepareInputs(request.input, (file, bytes) =>
        callWithRetries(ctx, 'uploading an input file', errCtx, signal, async () => {
          const uploaded = await ctx.sdk.files.create(toUploadFile(file, bytes), {}, { signal });
          return uploaded.urls.get;
        }),
      );
      phase = 'starting the webhook receiver';
      hook = env.webhook ? await env.webhook(request) : undefined;
      phase = 'creating the prediction';
      createSent = true;
      cancelAfterSent = env.stepTimeoutMs !== undefined;
      createSentAt = ctx.time.clock();
      const created = await createPrediction(
        ctx,
        {
          model: request.model,
          version,
          deployment: request.deployment,
          input,
          // Language models stream their tokens: create without holding the request open.
          waitSeconds: textModel ? 0 : env.waitSeconds,
          cancelAfterSeconds: env.stepTimeoutMs === undefined ? undefined : env.stepTimeoutMs / 1000,
          webhookUrl: hook?.url,
          signal,
          claimed: env.claimed,
        },
        errCtx,
      );
      prediction = created.prediction;
    }
    errCtx.predictionId = prediction.id;
    env.inFlight.set(prediction.id, errCtx);
    emit({ type: 'prediction-created', predictionId: prediction.id, ...(resumed ? { resumed: true } : {}) });

    let streamed = '';
    const streamUrl = prediction.urls?.stream;
    if (textModel && streamUrl && !isTerminal(prediction)) {
      // Replicate stops predictions after 30 minutes: a stream silent for longer is not coming back.
      const streamMs = deadline === undefined ? 30 * 60_000 : Math.max(1, deadline - start);
      const streamSignal = AbortSignal.any([signal, AbortSignal.timeout(streamMs)]);
      const result = await readTokenStream(streamUrl, {
        fetch: env.fetch,
        signal: streamSignal,
        onToken: (text) => emit({ type: 'token', text: ctx.redact(text) }),
      });
      streamed = result.text;
      if (signal.aborted) throw new CancelledError();
      if (!result.completed && result.error === undefined) {
        ctx.warn(`replicate: ${request.model}: token stream of ${prediction.id} broke off; polling instead`);
      }
    }

    phase = 'waiting for the prediction';
    prediction = await waitForPrediction(
      ctx,
      prediction,
      {
        ...env.poll,
        signal,
        deadline,
        onEvent: request.onEvent,
        webhookWait: hook?.wait,
        webhookFallbackMs: hook?.waitMs(prediction, createSentAt, ctx.time.clock()),
      },
      errCtx,
    );
    hook?.finished(prediction);
    const pastDeadline = deadline !== undefined && ctx.time.clock() >= deadline - 1000;
    const failure = terminalFailure(prediction, errCtx, ctx.redact, pastDeadline, cancelAfterSent);
    if (failure) {
      reportEnd(prediction);
      throw resumed ? endedOnResume(prediction, failure, errCtx, ctx.redact) : failure;
    }
    if (resumed && outputsGone(prediction)) {
      reportEnd(prediction);
      throw expiredOnResume(prediction, errCtx, ctx.redact);
    }

    const { urls, text } = splitOutput(prediction.output, textModel);
    let finalText = text;
    if (textModel) {
      finalText = text === undefined || (text === '' && streamed !== '') ? streamed : text;
      // Tokens the broken stream did not deliver.
      if (finalText.startsWith(streamed) && finalText.length > streamed.length) {
        emit({ type: 'token', text: ctx.redact(finalText.slice(streamed.length)) });
      }
    }
    if (urls.length === 0 && finalText === undefined) {
      reportEnd(prediction);
      throw providerError(
        'REPLICATE_NO_OUTPUT',
        'prediction succeeded without any output',
        errCtx,
        ctx.redact,
      );
    }
    const metrics = numericMetrics(prediction);
    const actualUsd = actualCostUsd(request.pricing ?? request.catalog?.pricing, metrics);
    phase = 'waiting for a transfer slot';
    await request.onModelDone?.({ actualUsd });
    if (signal.aborted) throw new CancelledError();
    phase = 'downloading the outputs';
    const files = await downloadOutputs(
      urls,
      {
        workDir: request.workDir,
        fetch: env.fetch,
        time: ctx.time,
        redact: ctx.redact,
        maxAttempts: ctx.maxAttempts,
        signal,
        probe: env.probe,
        warn: ctx.warn,
      },
      errCtx,
    ).catch((err: unknown) => {
      const expired = err instanceof ProviderError && err.code === 'REPLICATE_OUTPUT_EXPIRED';
      throw resumed && expired ? expiredOnResume(prediction as Prediction, errCtx, ctx.redact) : err;
    });
    const result: PredictionResult = {
      provider: PROVIDER,
      files,
      predictionId: prediction.id,
      actualUsd,
      metrics,
    };
    if (finalText !== undefined) result.text = finalText;
    // A resumed prediction ran whatever version it was created with. An official model's `dp-…`
    // deployment is not a version: it changes on every redeploy and pins nothing.
    const reported = versionRan(prediction);
    const ran = resumed ? (reported ?? version) : (version ?? reported);
    if (ran !== undefined) result.version = ran;
    return result;
  } catch (err) {
    if (prediction && !isTerminal(prediction)) {
      const answer = await env.cancelRemote(prediction.id, errCtx);
      if (answer) reportEnd(answer);
    } else if (!prediction && createSent && signal.aborted) {
      await cancelOrphan(
        { ctx, claimed: env.claimed, cancelRemote: env.cancelRemote },
        { request, version, input, since: start },
        errCtx,
        reportEnd,
      );
    } else if (!prediction && request.resume?.predictionId !== undefined && signal.aborted) {
      const answer = await env.cancelRemote(request.resume.predictionId, errCtx);
      if (answer) reportEnd(answer);
    }
    if (signal.aborted) {
      const id = prediction ? ` [prediction ${prediction.id}]` : '';
      throw new CancelledError(ctx.redact(`replicate: ${request.model}: cancelled${id}`));
    }
    throw toProviderError(err, phase, errCtx, ctx.redact);
  } finally {
    if (prediction) env.inFlight.delete(prediction.id);
    linked.dispose();
  }
}
