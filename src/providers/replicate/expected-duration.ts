/**
 * How long a model's predictions take, so that a lost webhook is noticed in time: the webhook is trusted
 * until the prediction's expected end (with a margin), then polling starts. The expectation is the 90th
 * percentile of this run's observed durations of the model (created → completed, by the server's
 * timestamps; `predict_time` when those are missing); before the first one finishes, the catalog's typical
 * time (per-second models), else a default by kind. One book per provider instance.
 */
import type { CatalogModel, Pricing } from '../../models/catalog.js';
import { numericMetrics, type Prediction } from './prediction.js';

/** Durations kept per model. */
const KEEP = 32;
/** Before any observation: language models stream for a while; image models take seconds. */
const DEFAULT_MS = { text: 30_000, other: 15_000 } as const;
/** A first prediction may boot cold. */
const COLD_START_ALLOWANCE_MS = 10_000;

export interface DurationBook {
  /** Records how long a finished prediction of `model` took. */
  record(model: string, prediction: Prediction): void;
  /** The expected time from create to completion, in ms. */
  expectedMs(model: string, catalog?: CatalogModel, pricing?: Pricing): number;
}

const time = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : Number.NaN);

/** Created → completed by the server's clock, else `predict_time`; undefined when neither is known. */
export function predictionDurationMs(prediction: Prediction): number | undefined {
  const created = time(prediction.created_at);
  const completed = time((prediction as { completed_at?: unknown }).completed_at);
  if (Number.isFinite(created) && Number.isFinite(completed) && completed >= created)
    return completed - created;
  const seconds = numericMetrics(prediction).predict_time;
  return seconds !== undefined && seconds >= 0 ? seconds * 1000 : undefined;
}

export function createDurationBook(): DurationBook {
  const byModel = new Map<string, number[]>();
  return {
    record(model, prediction) {
      if (prediction.status !== 'succeeded') return;
      const ms = predictionDurationMs(prediction);
      if (ms === undefined) return;
      const list = byModel.get(model) ?? [];
      list.push(ms);
      if (list.length > KEEP) list.shift();
      byModel.set(model, list);
    },
    expectedMs(model, catalog, pricing = catalog?.pricing) {
      const seen = byModel.get(model);
      if (seen && seen.length > 0) {
        const sorted = [...seen].sort((a, b) => a - b);
        return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)] as number;
      }
      if (pricing?.unit === 'second' && pricing.typicalSeconds !== undefined)
        return pricing.typicalSeconds * 1000 + COLD_START_ALLOWANCE_MS;
      return catalog?.kind === 'text' ? DEFAULT_MS.text : DEFAULT_MS.other;
    },
  };
}

/**
 * How long to wait for the webhook, from now: the expected duration plus a fifth and 2 s for the delivery,
 * less the time the prediction has already run. That time is read from its `created_at`, but never taken
 * as longer than our own clock allows (since the create was sent) nor as negative: clocks may disagree.
 */
export function webhookWaitMs(
  expectedMs: number,
  prediction: Prediction,
  createSentAt: number,
  now: number,
): number {
  const byServer = now - time(prediction.created_at);
  const byUs = Math.max(0, now - createSentAt);
  const elapsed = Number.isFinite(byServer) ? Math.min(byUs, Math.max(0, byServer)) : byUs;
  return Math.max(0, Math.round(expectedMs * 1.2 + 2_000 - elapsed));
}
