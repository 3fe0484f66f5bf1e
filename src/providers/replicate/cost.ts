/**
 * What a finished prediction actually cost, from its `metrics` and the catalog's pricing
 * (reference §10): official image models `image_count` × price per image; community models
 * `predict_time` × hardware $/s; language models input/output tokens × their prices. Null when the
 * pricing or the needed metric is missing. (Estimates before a run live in the planner.)
 */
import type { Pricing } from '../../models/catalog.js';

export function actualCostUsd(
  pricing: Pricing | undefined,
  metrics: Readonly<Record<string, number>> | undefined,
): number | null {
  if (!pricing || !metrics) return null;
  const num = (key: string): number | undefined => {
    const value = metrics[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
  };
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

/** Dollars to 1e-9 precision, so sums of many tasks do not show float noise. */
function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
