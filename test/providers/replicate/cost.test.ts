import { describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import { actualCostUsd, endedCostUsd } from '../../../src/providers/replicate/cost.js';
import type { Prediction } from '../../../src/providers/replicate/prediction.js';
import { TEST_PRICES } from './test-prices.js';

describe('actualCostUsd', () => {
  const catalog = createCatalog();
  const pricing = (ref: string) => catalog.get(ref)?.pricing ?? TEST_PRICES[ref];

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

describe('endedCostUsd: predictions that ended without a result', () => {
  const catalog = createCatalog();
  const pricing = (ref: string) => catalog.get(ref)?.pricing ?? TEST_PRICES[ref];
  const ended = (status: Prediction['status'], extra: Partial<Prediction> = {}): Prediction => ({
    id: 'p',
    status,
    ...extra,
  });
  const esrgan = pricing('nightmareai/real-esrgan');
  const schnell = pricing('black-forest-labs/flux-schnell');
  const llama = pricing('meta/meta-llama-3-70b-instruct');

  it('aborted, or never started: nothing', () => {
    expect(endedCostUsd(esrgan, ended('aborted', { metrics: { total_time: 40 } }))).toBe(0);
    expect(endedCostUsd(esrgan, ended('canceled', { metrics: { total_time: 3 } }))).toBe(0);
    expect(endedCostUsd(esrgan, ended('canceled'))).toBe(0);
  });

  it('canceled or failed on a time-billed model: the seconds it ran (the recorded cancel: 0.128148 s)', () => {
    const recorded = ended('canceled', {
      started_at: '2024-04-22T11:15:15.375980Z',
      metrics: { predict_time: 0.128148, total_time: 0.175128 },
    });
    expect(endedCostUsd(esrgan, recorded)).toBeCloseTo(0.128148 * 0.000225, 9);
    expect(endedCostUsd(esrgan, ended('failed', { metrics: { predict_time: 2 } }))).toBeCloseTo(0.00045, 12);
    // Started, but the seconds are not known: unknown (the runner books the estimate).
    expect(endedCostUsd(esrgan, ended('canceled', { started_at: '2024-04-22T11:15:15Z' }))).toBeNull();
  });

  it('official models bill outputs: none made, nothing billed', () => {
    expect(endedCostUsd(schnell, ended('canceled', { metrics: { predict_time: 1.5 } }))).toBe(0);
    expect(
      endedCostUsd(schnell, ended('failed', { metrics: { predict_time: 1, image_count: 1 } })),
    ).toBeCloseTo(0.003, 9);
    expect(endedCostUsd(llama, ended('canceled', { metrics: { predict_time: 1 }, output: [] }))).toBe(0);
    expect(
      endedCostUsd(llama, ended('canceled', { metrics: { predict_time: 1 }, output: ['Once', ' upon'] })),
    ).toBeNull();
  });

  it('a succeeded one costs what its metrics say', () => {
    expect(endedCostUsd(schnell, ended('succeeded', { metrics: { image_count: 2 } }))).toBeCloseTo(0.006, 9);
  });
});
