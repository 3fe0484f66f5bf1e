/**
 * Prices these tests give models that have no published price (the catalog leaves them out): what a
 * recipe's `price:` would declare, passed to the provider as the request's `pricing`, as the runner does.
 */
import type { Pricing } from '../../../src/models/catalog.js';

export const TEST_PRICES: Readonly<Record<string, Pricing>> = {
  'stability-ai/sdxl': {
    unit: 'second',
    usdPerSecond: 0.000725,
    typicalSeconds: 5,
    hardware: 'gpu-a40-large',
  },
  'nightmareai/real-esrgan': {
    unit: 'second',
    usdPerSecond: 0.000225,
    typicalSeconds: 3,
    hardware: 'gpu-t4',
  },
  'cjwbw/rembg': { unit: 'second', usdPerSecond: 0.000225, typicalSeconds: 2, hardware: 'gpu-t4' },
  'lucataco/remove-bg': { unit: 'second', usdPerSecond: 0.000225, typicalSeconds: 2, hardware: 'gpu-t4' },
  '851-labs/background-remover': {
    unit: 'second',
    usdPerSecond: 0.000225,
    typicalSeconds: 2,
    hardware: 'gpu-t4',
  },
  'meta/meta-llama-3-70b-instruct': { unit: 'token', usdPerInputToken: 6.5e-7, usdPerOutputToken: 2.75e-6 },
};

/** `{ pricing }` for a request of `model`, when these tests price it. */
export function testPricing(model: string): { pricing?: Pricing } {
  const pricing = TEST_PRICES[model];
  return pricing === undefined ? {} : { pricing };
}
