/**
 * Lower bounds of a remote run from what the fake actually simulated: no schedule can finish before
 * max(total model time / concurrency, the longest asset chain, creates / create rate).
 */
import type { RunResult } from '../../src/run/runner.js';
import type { PredictionTiming } from '../fake/protocol.js';

export interface LowerBound {
  /** All in real ms. */
  boundMs: number;
  modelTimeMs: number;
  perSlotMs: number;
  longestChainMs: number;
  rateMs: number;
  /** Which term is the bound. */
  limitedBy: 'concurrency' | 'chain' | 'rate limit';
  /** Predictions that booted cold (queued longer than a tenth of a unit). */
  coldStarts: number;
}

/** Real ms a prediction held a slot on the server: queue/boot (measured) + run (metrics, exact). */
export function modelTimeMs(p: PredictionTiming, timeScale: number): number {
  const starting = p.startedMs === null ? 0 : p.startedMs - p.createdMs;
  const running = (p.predictTime ?? 0) * 1000 * timeScale;
  return starting + running;
}

export function lowerBound(
  predictions: readonly PredictionTiming[],
  chains: readonly (readonly string[])[],
  options: { concurrency: number; createsPerMinute: number; timeScale: number; unitMs: number },
): LowerBound {
  const byId = new Map(predictions.map((p) => [p.id, modelTimeMs(p, options.timeScale)]));
  const modelTime = [...byId.values()].reduce((sum, ms) => sum + ms, 0);
  const longestChainMs = Math.max(
    0,
    ...chains.map((ids) => ids.reduce((sum, id) => sum + (byId.get(id) ?? 0), 0)),
  );
  const perSlotMs = modelTime / options.concurrency;
  const rateMs = (predictions.length * 60_000 * options.timeScale) / options.createsPerMinute;
  const terms = { concurrency: perSlotMs, chain: longestChainMs, 'rate limit': rateMs } as const;
  const limitedBy = (Object.keys(terms) as (keyof typeof terms)[]).reduce((a, b) =>
    terms[a] >= terms[b] ? a : b,
  );
  const coldStarts = predictions.filter(
    (p) => p.startedMs !== null && p.startedMs - p.createdMs > options.unitMs / 10,
  ).length;
  return {
    boundMs: terms[limitedBy],
    modelTimeMs: modelTime,
    perSlotMs,
    longestChainMs,
    rateMs,
    limitedBy,
    coldStarts,
  };
}

/** Each asset's prediction ids, in chain order, from a run's manifest entries. */
export function chainsOf(result: RunResult): string[][] {
  return result.recipes.flatMap((recipe) =>
    recipe.assets.map((asset) =>
      asset.steps.flatMap((step) =>
        step.kind === 'model' && step.prediction_id ? [step.prediction_id] : [],
      ),
    ),
  );
}
