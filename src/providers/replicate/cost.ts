/**
 * What a finished prediction actually cost, from its `metrics` and the catalog's pricing
 * (reference §10): official image models `image_count` × price per image; community models
 * `predict_time` × hardware $/s; language models input/output tokens × their prices. Null when the
 * pricing or the needed metric is missing. (Estimates before a run live in the planner.)
 *
 * A prediction that ended without a result is booked by the same rules from what it did: `aborted` (its
 * deadline passed before it started) and one that never started cost nothing; a canceled or failed one on
 * a time-billed model costs the seconds it ran (`predict_time`); an official model bills its outputs, so
 * one that made none costs nothing. Null when that cannot be told (the caller books the estimate).
 */
import type { Pricing } from '../../models/catalog.js';
import { numericMetrics, type Prediction } from './prediction.js';

export function actualCostUsd(
  pricing: Pricing | undefined,
  metrics: Readonly<Record<string, number>> | undefined,
): number | null {
  if (!pricing || !metrics) return null;
  const num = (key: string): number | undefined => metric(metrics, key);
  switch (pricing.unit) {
    case 'image': {
      const count = num('image_count');
      return count === undefined ? null : round(count * pricing.usd);
    }
    case 'second': {
      const seconds = num('predict_time');
      return seconds === undefined ? null : round(seconds * pricing.usdPerSecond);
    }
    case 'token': {
      const input = num('input_token_count');
      const output = num('output_token_count');
      if (input === undefined && output === undefined) return null;
      return round((input ?? 0) * pricing.usdPerInputToken + (output ?? 0) * pricing.usdPerOutputToken);
    }
    default:
      return null;
  }
}

/** What a terminal prediction cost, whatever its status (see the rules above); null when unknown. */
export function endedCostUsd(pricing: Pricing | undefined, prediction: Prediction): number | null {
  if (prediction.status === 'aborted') return 0;
  const metrics = numericMetrics(prediction);
  if (prediction.status === 'succeeded') return actualCostUsd(pricing, metrics);
  const ran = metric(metrics, 'predict_time');
  if (ran === undefined && prediction.started_at === undefined) return 0;
  if (ran === 0) return 0;
  const known = actualCostUsd(pricing, metrics);
  if (known !== null || !pricing) return known;
  // Official models bill their outputs: without a count, one that ended badly and shows no output made none.
  if (pricing.unit === 'image') return 0;
  if (pricing.unit === 'token') return hasOutput(prediction.output) ? null : 0;
  return null;
}

function hasOutput(output: unknown): boolean {
  if (Array.isArray(output)) return output.some((part) => part !== '' && part !== null);
  return output !== null && output !== undefined && output !== '';
}

function metric(metrics: Readonly<Record<string, number>>, key: string): number | undefined {
  const value = metrics[key];
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** Dollars to 1e-9 precision, so sums of many tasks do not show float noise. */
function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
