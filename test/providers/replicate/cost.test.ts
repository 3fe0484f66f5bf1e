import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import { actualCostUsd } from '../../../src/providers/replicate/cost.js';

describe('actualCostUsd', () => {
  const catalog = createCatalog();
  const pricing = (ref: string) => catalog.get(ref)?.pricing;

  it('official image models: image_count × price per image', () => {
    expect(
      actualCostUsd(pricing('black-forest-labs/flux-schnell'), { image_count: 4, predict_time: 1.2 }),
    ).toBeCloseTo(0.012, 9);
    expect(actualCostUsd(pricing('black-forest-labs/flux-dev'), { image_count: 1 })).toBeCloseTo(0.025, 9);
  });

  it('community models: predict_time × hardware $/s', () => {
    // real-esrgan runs on a T4: 0.000225 $/s
    expect(
      actualCostUsd(pricing('nightmareai/real-esrgan'), { predict_time: 4, total_time: 30 }),
    ).toBeCloseTo(0.0009, 9);
    expect(
      actualCostUsd(
        { unit: 'second', usdPerSecond: 0.000725, typicalSeconds: 5, hardware: 'gpu-a40-large' },
        {
          predict_time: 5,
        },
      ),
    ).toBeCloseTo(0.003625, 9);
  });

  it('language models: input and output tokens × their prices', () => {
    const usd = actualCostUsd(pricing('meta/meta-llama-3-70b-instruct'), {
      input_token_count: 1000,
      output_token_count: 2000,
    });
    expect(usd).toBeCloseTo(1000 * 6.5e-7 + 2000 * 2.75e-6, 12);
  });

  it('is null when it cannot be computed', () => {
    expect(actualCostUsd(undefined, { image_count: 1 })).toBeNull();
    expect(actualCostUsd(pricing('black-forest-labs/flux-schnell'), { predict_time: 1 })).toBeNull();
    expect(actualCostUsd(pricing('nightmareai/real-esrgan'), {})).toBeNull();
    expect(actualCostUsd(pricing('meta/meta-llama-3-70b-instruct'), undefined)).toBeNull();
  });
});
