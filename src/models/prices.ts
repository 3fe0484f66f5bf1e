/**
 * Which price a model step is planned with, and where it came from: the recipe's `price:` first, else
 * the published price (`price-list.ts`, with its page and date), else this project's history
 * (`price-history.ts`: mean actual cost per output of its past runs, of the same version when there are
 * any). A `price: { per_second }` without `typical_seconds` takes its run time from the history's mean
 * `predict_time`. A step none of these prices has an estimate of null and says why (`unpriced`).
 */
import { estimateUsd } from '../plan/cost.js';
import type { Price } from '../recipe/recipe-types.generated.js';
import type { CatalogModel, Pricing } from './catalog.js';
import type { PriceHistory, PriceSample } from './price-history.js';
import { publishedPrice } from './price-list.js';

/** Where a step's price came from (`plan` shows it; the `--json` plan event carries it). */
export interface PriceOrigin {
  /** null: no price at all. */
  source: 'catalog' | 'recipe' | 'history' | null;
  /** catalog: the page the price was read from, the day it was read, what the page is. */
  url?: string;
  read?: string;
  note?: string;
  /** history (and a recipe's per_second whose run time came from history): how many past runs it rests on. */
  runs?: number;
  /** history: the version those runs are of; null when they are of any version. */
  version?: string | null;
  /** Why there is no estimate, and how to give one. */
  unpriced?: string;
}

/** Turns a recipe step's `price:` into pricing. */
export function pricingFromRecipe(price: Price): Pricing {
  if ('per_image' in price) return { unit: 'image', usd: price.per_image };
  return {
    unit: 'second',
    usdPerSecond: price.per_second,
    ...(price.typical_seconds === undefined ? {} : { typicalSeconds: price.typical_seconds }),
    hardware: 'recipe',
  };
}

/** The price declared for a step before history is consulted: the recipe's, else the published one. */
export function declaredPrice(
  model: string,
  recipePrice: Price | undefined,
  entry: CatalogModel | undefined,
): { pricing?: Pricing; origin: PriceOrigin } {
  if (recipePrice !== undefined)
    return { pricing: pricingFromRecipe(recipePrice), origin: { source: 'recipe' } };
  const published =
    entry?.pricing !== undefined && entry.priceSource !== undefined
      ? { pricing: entry.pricing, source: entry.priceSource }
      : publishedPrice(model);
  if (published !== undefined) {
    const { url, read, note } = published.source;
    return {
      pricing: published.pricing,
      origin: { source: 'catalog', url, read, ...(note === undefined ? {} : { note }) },
    };
  }
  return { origin: { source: null, unpriced: unpricedReason(model, []) } };
}

const mean = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** What a step's estimate needs from a group of samples: computed once per group, not once per step. */
interface SampleSummary {
  /** Runs that recorded their run time, and its mean. */
  timedRuns: number;
  meanSeconds: number;
  /** Runs that recorded their cost, and the mean cost per output. */
  costRuns: number;
  meanUsdPerOutput: number;
}

const summaries = new WeakMap<readonly PriceSample[], SampleSummary>();

function summaryOf(samples: readonly PriceSample[]): SampleSummary {
  const known = summaries.get(samples);
  if (known !== undefined) return known;
  const seconds = samples.flatMap((sample) => (sample.seconds === null ? [] : [sample.seconds]));
  const perOutput = samples.flatMap((sample) =>
    sample.usd === null ? [] : [sample.usd / Math.max(1, sample.outputs ?? 1)],
  );
  const summary: SampleSummary = {
    timedRuns: seconds.length,
    meanSeconds: seconds.length === 0 ? 0 : mean(seconds),
    costRuns: perOutput.length,
    meanUsdPerOutput: perOutput.length === 0 ? 0 : mean(perOutput),
  };
  summaries.set(samples, summary);
  return summary;
}

/** The estimate of one step with history, and the origin that says what it rests on. */
export function priceWithHistory(
  step: { model: string; version?: string; pricing?: Pricing; input: Readonly<Record<string, unknown>> },
  origin: PriceOrigin,
  history: PriceHistory,
): { estimatedUsd: number | null; origin: PriceOrigin; pricing?: Pricing } {
  const { samples, version } = history.samples(step.model, step.version);
  const summary = summaryOf(samples);
  const { pricing } = step;
  if (pricing?.unit === 'second' && pricing.typicalSeconds === undefined) {
    if (summary.timedRuns === 0) {
      return {
        estimatedUsd: null,
        origin: {
          ...origin,
          runs: 0,
          unpriced: `price: { per_second } of ${step.model} has no typical_seconds and no past run recorded its run time: add typical_seconds, or run it once without a budget`,
        },
      };
    }
    const typed: Pricing = { ...pricing, typicalSeconds: summary.meanSeconds };
    return {
      estimatedUsd: estimateUsd(typed, step.input),
      origin: { ...origin, runs: summary.timedRuns },
      pricing: typed,
    };
  }
  if (pricing !== undefined) return { estimatedUsd: estimateUsd(pricing, step.input), origin };
  if (summary.costRuns === 0)
    return { estimatedUsd: null, origin: { source: null, unpriced: unpricedReason(step.model, samples) } };
  const count =
    typeof step.input.num_outputs === 'number' && step.input.num_outputs > 1 ? step.input.num_outputs : 1;
  return {
    estimatedUsd: Math.round(summary.meanUsdPerOutput * count * 1e9) / 1e9,
    origin: { source: 'history', runs: summary.costRuns, version },
  };
}

function unpricedReason(model: string, samples: readonly PriceSample[]): string {
  const timed = samples.filter((sample) => sample.seconds !== null);
  if (timed.length > 0) {
    const seconds = mean(timed.map((sample) => sample.seconds ?? 0));
    return `${model} has no published price and ${plural(timed.length, 'past run')} recorded a run time (mean ${seconds.toFixed(1)} s) but no cost (Replicate reports none): add price: { per_second: <its hardware's $/s> } to the step, and history gives the run time`;
  }
  return `${model} has no published price, no price: in the recipe and no past runs: add price: { per_image: … } or price: { per_second: …, typical_seconds: … } to the step`;
}
