/**
 * Waiting for a prediction to end: our own polling of `GET /predictions/{id}` with growing, jittered
 * gaps (250 ms ×1.5 up to 5 s, ±20 %), not the SDK's fixed 500 ms; `aborted` counts as terminal (the SDK
 * polls it forever). With webhooks the first wait is for the delivery, until about when the prediction
 * should have ended (expected-duration.ts); then polling takes over, and a delivery that still comes in
 * ends the wait at once. Reports `starting` / `booting` (starting for over 5 s) / `processing` and new log
 * text. Past the step's deadline it throws a timeout error (the caller cancels on the server).
 */
import type { ProviderEvent } from '../types.js';
import { callWithRetries, type ProviderContext } from './context.js';
import { type ErrorContext, providerError } from './errors.js';
import { asPrediction, isTerminal, type Prediction } from './prediction.js';

export interface PollOptions {
  signal: AbortSignal;
  /** Absolute time (ms, injected clock) after which the step has timed out. */
  deadline?: number | undefined;
  onEvent?: ((event: ProviderEvent) => void) | undefined;
  firstDelayMs?: number;
  factor?: number;
  maxDelayMs?: number;
  /** ± fraction applied to each gap. */
  jitter?: number;
  /** `starting` for longer than this is reported as `booting` (cold start). */
  bootingAfterMs?: number;
  /**
   * Waits for a webhook delivery of the prediction; resolves undefined when none came in `ms` (`Infinity`:
   * no limit, until the signal aborts).
   */
  webhookWait?:
    | ((id: string, ms: number, signal: AbortSignal) => Promise<Prediction | undefined>)
    | undefined;
  /** How long to trust the webhook before polling (from now). */
  webhookFallbackMs?: number | undefined;
}

/** The gap before poll number `n` (from 0), jittered. */
export function pollDelay(n: number, random: () => number, options: PollOptions = {} as PollOptions): number {
  const first = options.firstDelayMs ?? 250;
  const base = Math.min(options.maxDelayMs ?? 5_000, first * (options.factor ?? 1.5) ** n);
  const jitter = options.jitter ?? 0.2;
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

/** Emits status changes and new log text of each prediction snapshot it is shown. */
export function createStatusReporter(
  ctx: Pick<ProviderContext, 'time' | 'redact'>,
  onEvent: PollOptions['onEvent'],
  bootingAfterMs: number,
) {
  let lastStatus: string | undefined;
  let startingSince: number | undefined;
  let logLength = 0;
  return (p: Prediction): void => {
    if (!onEvent) return;
    const now = ctx.time.clock();
    let status: 'starting' | 'booting' | 'processing' | undefined;
    if (p.status === 'starting') {
      startingSince ??= now;
      status = now - startingSince > bootingAfterMs ? 'booting' : 'starting';
    } else if (p.status === 'processing') {
      status = 'processing';
    }
    if (status !== undefined && status !== lastStatus) {
      lastStatus = status;
      onEvent({ type: 'status', status, predictionId: p.id });
    }
    const logs = typeof p.logs === 'string' ? p.logs : '';
    if (logs.length > logLength) {
      onEvent({ type: 'log', text: ctx.redact(logs.slice(logLength)) });
      logLength = logs.length;
    } else if (logs.length < logLength) {
      logLength = logs.length;
    }
  };
}

export async function waitForPrediction(
  ctx: ProviderContext,
  initial: Prediction,
  options: PollOptions,
  errCtx: ErrorContext,
): Promise<Prediction> {
  const { time } = ctx;
  const report = createStatusReporter(ctx, options.onEvent, options.bootingAfterMs ?? 5_000);
  let prediction = initial;
  report(prediction);
  const timedOut = (): boolean => options.deadline !== undefined && time.clock() >= options.deadline;
  const timeoutError = () =>
    providerError(
      'REPLICATE_TIMEOUT',
      `timed out (status ${prediction.status}); cancelled on Replicate`,
      errCtx,
      ctx.redact,
      {
        retryable: true,
      },
    );

  // A delivery that comes in while polling: resolves only with a terminal prediction.
  let late: Promise<Prediction> | undefined;
  const stopLate = new AbortController();
  if (!isTerminal(prediction) && options.webhookWait) {
    const remaining =
      options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - time.clock();
    const waitMs = Math.max(0, Math.min(options.webhookFallbackMs ?? 120_000, remaining));
    const delivered = await options.webhookWait(prediction.id, waitMs, options.signal);
    if (delivered && isTerminal(delivered)) return delivered;
    if (!delivered) ctx.warn(`replicate: ${errCtx.model}: no webhook for ${prediction.id} in time; polling`);
    const pending = options.webhookWait(
      prediction.id,
      Number.POSITIVE_INFINITY,
      AbortSignal.any([options.signal, stopLate.signal]),
    );
    late = pending.then(
      (p) => (p && isTerminal(p) ? p : new Promise<Prediction>(() => undefined)),
      () => new Promise<Prediction>(() => undefined),
    );
  }

  try {
    for (let n = 0; !isTerminal(prediction); n++) {
      if (timedOut()) throw timeoutError();
      let delay = pollDelay(n, time.random, options);
      if (options.deadline !== undefined)
        delay = Math.min(delay, Math.max(0, options.deadline - time.clock()));
      const slept = time.sleep(delay, options.signal).then(() => undefined);
      const delivered = late ? await Promise.race([slept, late]) : await slept;
      if (delivered) return delivered;
      if (timedOut()) throw timeoutError();
      const id = prediction.id;
      prediction = await callWithRetries(ctx, 'polling the prediction', errCtx, options.signal, async () =>
        asPrediction(await ctx.sdk.predictions.get(id, { signal: options.signal })),
      );
      report(prediction);
    }
    return prediction;
  } finally {
    stopLate.abort();
  }
}
