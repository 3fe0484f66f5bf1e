/**
 * Cost estimates from a pricing (models/prices.ts decides which: recipe, published, history).
 * Per output image for official models, per second of hardware × a typical run time for community
 * models, per token for language models. `null` means the cost is unknown.
 */
import type { Pricing } from '../models/catalog.js';

const roughTokenCount = (text: string): number => Math.ceil(text.length / 4);

/** Estimated USD for one run of a model with this input; null when the price is unknown. */
export function estimateUsd(
  pricing: Pricing | undefined,
  input: Readonly<Record<string, unknown>>,
): number | null {
  if (pricing === undefined) return null;
  switch (pricing.unit) {
    case 'image': {
      const count = typeof input.num_outputs === 'number' ? input.num_outputs : 1;
      return pricing.usd * count;
    }
    case 'second':
      // Without a typical run time (recipe `price: { per_second }`) history supplies it (models/prices.ts).
      return pricing.typicalSeconds === undefined ? null : pricing.usdPerSecond * pricing.typicalSeconds;
    case 'token': {
      const prompt = typeof input.prompt === 'string' ? input.prompt : '';
      const template = typeof input.prompt_template === 'string' ? input.prompt_template : '';
      const maxTokens = typeof input.max_tokens === 'number' ? input.max_tokens : 512;
      // Budget-safe: the output is assumed to use every token it may.
      return (
        roughTokenCount(prompt + template) * pricing.usdPerInputToken + maxTokens * pricing.usdPerOutputToken
      );
    }
  }
}

/** Rounds a dollar figure for display without losing sub-cent prices. */
export function formatUsd(usd: number | null): string {
  if (usd === null) return 'unknown';
  if (usd === 0) return '$0';
  if (usd < 1) return `$${Number(usd.toPrecision(3))}`;
  return `$${usd.toFixed(2)}`;
}
