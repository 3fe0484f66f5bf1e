/**
 * Published prices of Replicate models, each with the page it was read from and the day it was read.
 * Only prices a page confirms are here; none is guessed. A model that is not listed is priced from this
 * project's own history (`price-history.ts`) or by the recipe's `price:` (`prices.ts` decides which).
 *
 * How these were found (2026-12-01, the search tool's `pages` and `docs` corpora): Replicate's model
 * pages, its pricing page and changelog, and transcriptions of them. Kept only what a replicate.com page
 * shows, or a dated transcription of https://replicate.com/pricing that quotes it verbatim.
 *
 * Searched and LEFT OUT (no Replicate page found that states the price; third-party price lists only):
 * black-forest-labs/flux-kontext-pro and -max, black-forest-labs/flux-1.1-pro-ultra, google/imagen-4
 * (and -fast, -ultra), recraft-ai/recraft-v3, bytedance/seedream-4, qwen/qwen-image,
 * ideogram-ai/ideogram-v3-turbo, meta/meta-llama-3-70b-instruct (LiteLLM's table only). Community models
 * (stability-ai/sdxl, nightmareai/real-esrgan, cjwbw/rembg, lucataco/remove-bg,
 * 851-labs/background-remover) bill predict_time × their hardware's rate; the rates per hardware are on
 * Replicate's pricing page (`HARDWARE_USD_PER_SECOND`), but which hardware each model runs on was not
 * found on any page, so they carry no price: history or `price: { per_second: … }` prices them.
 */
import type { Pricing } from './catalog.js';

/** Where a published price was read. */
export interface PriceSourcePage {
  /** The page the price was read from. */
  url: string;
  /** The day it was read (YYYY-MM-DD). */
  read: string;
  /** What the page is, when it is not Replicate's own page for the model. */
  note?: string;
}

export interface PublishedPrice {
  pricing: Pricing;
  source: PriceSourcePage;
}

/** A transcription of replicate.com/pricing that states each price verbatim (its header: read 2026-10-07). */
const PRICING_TRANSCRIPTION: PriceSourcePage = {
  url: 'https://raw.githubusercontent.com/api-evangelist/replicate/refs/heads/main/plans/replicate-plans-pricing.yml',
  read: '2026-12-01',
  note: 'a transcription of https://replicate.com/pricing, read there on 2026-10-07',
};

const PRICES: Readonly<Record<string, PublishedPrice>> = {
  'black-forest-labs/flux-schnell': {
    // "$3 per thousand output images"
    pricing: { unit: 'image', usd: 0.003 },
    source: { url: 'https://internal.replicate.com/black-forest-labs/flux-schnell', read: '2026-12-01' },
  },
  'black-forest-labs/flux-dev': {
    // "flux-dev $0.025 / output image"
    pricing: { unit: 'image', usd: 0.025 },
    source: PRICING_TRANSCRIPTION,
  },
  'black-forest-labs/flux-pro': {
    // "$0.055 per image"
    pricing: { unit: 'image', usd: 0.055 },
    source: { url: 'https://replicate.com/black-forest-labs/flux-pro', read: '2026-12-01' },
  },
  'black-forest-labs/flux-1.1-pro': {
    // "flux-1.1-pro $0.04 / output image"
    pricing: { unit: 'image', usd: 0.04 },
    source: PRICING_TRANSCRIPTION,
  },
  'ideogram-ai/ideogram-v3-quality': {
    // "ideogram-v3-quality $0.09 / output image"
    pricing: { unit: 'image', usd: 0.09 },
    source: PRICING_TRANSCRIPTION,
  },
};

/** The published price of `owner/name`, if a page confirmed one. */
export function publishedPrice(ref: string): PublishedPrice | undefined {
  return PRICES[ref];
}

/** Every model with a published price. */
export function publishedPrices(): ReadonlyArray<[string, PublishedPrice]> {
  return Object.entries(PRICES);
}
