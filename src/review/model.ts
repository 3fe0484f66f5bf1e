/**
 * The review page's model: a manifest turned into recipes → assets → variant cards, with everything a
 * card shows (final image, prompt, seed, model, cost, dimensions, cache state, error, step images, the
 * pick command). Built from the manifest alone; no I/O here (paths are only joined).
 */
import { join } from 'node:path';
import type { Manifest, ManifestAsset, ManifestModelStep, ManifestStep } from '../manifest/types.js';
import { pickCommand, variantName } from './pick-command.js';

export type AssetStatus = ManifestAsset['status'];
export const STATUSES: readonly AssetStatus[] = ['ok', 'failed', 'skipped', 'cancelled'];

/** A picture to preview: where its bytes may be, best first, and its content hash. */
export interface ReviewImage {
  sha256: string;
  /** Absolute paths holding these bytes, tried in order (the output file, then the cache object). */
  sources: string[];
  /** The full-size file the large view shows (absolute path). */
  full: string;
}

export interface ReviewOutput {
  /** Relative to the output folder. */
  path: string;
  /** Absolute. */
  file: string;
  format: string;
  width: number;
  height: number;
  bytes: number;
  sha256: string;
}

export interface ReviewStep {
  id: string;
  kind: 'model' | 'image';
  /** The model (`owner/name`), or the image operations' names (`trim, extend`). */
  what: string;
  provider: string;
  version: string | null;
  cached: boolean;
  durationMs: number;
  costUsd: number | null;
  text?: string;
  images: ReviewImage[];
}

export interface ReviewCard {
  /** Unique on the page: `recipe/asset/variant`. */
  key: string;
  recipe: string;
  asset: string;
  variant: Record<string, string | number | boolean>;
  /** `seed=42,style=ink`; `''` without variants. */
  variantName: string;
  status: AssetStatus;
  error?: string;
  /** The prompt of the last model step that has one (the picture's own prompt). */
  prompt?: string;
  seed: number | null;
  model?: string;
  version: string | null;
  provider?: string;
  /** What the asset's model steps cost when they ran (actual, else estimated); null when unknown. */
  costUsd: number | null;
  cachedSteps: number;
  totalSteps: number;
  outputs: ReviewOutput[];
  /** The final image: the smallest output that still fills a thumbnail, shown large at the largest. */
  final?: ReviewImage;
  steps: ReviewStep[];
  pick?: string;
}

export interface ReviewAsset {
  id: string;
  cards: ReviewCard[];
}

export interface ReviewRecipe {
  name: string;
  source: string;
  output: string;
  assets: ReviewAsset[];
  cards: number;
}

export interface ReviewModel {
  generatorVersion: string;
  recipes: ReviewRecipe[];
  cards: ReviewCard[];
  statusCounts: Record<AssetStatus, number>;
}

export interface ReviewModelOptions {
  /** The output folder the manifest lives in (absolute). */
  outDir: string;
  /** The cache folder: step images are read from its objects (absolute). */
  cacheDir: string;
  /** The thumbnail's longest side: the final image is taken from the smallest output at least this big. */
  thumbnailSize: number;
}

const objectPath = (cacheDir: string, sha256: string): string =>
  join(cacheDir, 'objects', sha256.slice(0, 2), sha256);

function operationNames(operations: readonly unknown[]): string {
  const names = operations.flatMap((operation) =>
    typeof operation === 'object' && operation !== null ? Object.keys(operation) : [],
  );
  return names.length > 0 ? `image: ${names.join(', ')}` : 'image';
}

function stepOf(step: ManifestStep, cacheDir: string): ReviewStep {
  const images = (step.files ?? [])
    .filter((file) => file.content_type.startsWith('image/'))
    .map((file) => {
      const path = objectPath(cacheDir, file.sha256);
      return { sha256: file.sha256, sources: [path], full: path };
    });
  const base = { id: step.id, kind: step.kind, cached: step.cache_hit, durationMs: step.duration_ms, images };
  if (step.kind === 'image') {
    return { ...base, what: operationNames(step.operations), provider: 'local', version: null, costUsd: 0 };
  }
  return {
    ...base,
    what: step.model,
    provider: step.provider,
    version: step.version,
    costUsd: step.actual_usd ?? step.estimated_usd,
    ...(step.text === undefined ? {} : { text: step.text }),
  };
}

/** The final image: previews come from the smallest output covering the thumbnail, the large view is the largest. */
function finalImage(outputs: readonly ReviewOutput[], thumbnailSize: number, cacheDir: string) {
  if (outputs.length === 0) return undefined;
  const byArea = [...outputs].sort((a, b) => a.width * a.height - b.width * b.height);
  const largest = byArea[byArea.length - 1] ?? byArea[0];
  const preview = byArea.find((o) => Math.max(o.width, o.height) >= thumbnailSize) ?? largest;
  if (preview === undefined || largest === undefined) return undefined;
  return {
    sha256: preview.sha256,
    sources: [preview.file, objectPath(cacheDir, preview.sha256)],
    full: largest.file,
  };
}

function cardOf(
  recipe: string,
  source: string,
  asset: ManifestAsset,
  options: ReviewModelOptions,
): ReviewCard {
  const name = variantName(asset.variant);
  const modelSteps = asset.steps.filter((step): step is ManifestModelStep => step.kind === 'model');
  const main = modelSteps.findLast((step) => typeof step.input.prompt === 'string') ?? modelSteps[0];
  const costs = modelSteps.map((step) => step.actual_usd ?? step.estimated_usd);
  const outputs = asset.outputs.map((output) => ({ ...output, file: join(options.outDir, output.path) }));
  const final = finalImage(outputs, options.thumbnailSize, options.cacheDir);
  const pick = pickCommand(source, asset.id, asset.variant);
  const prompt = main?.input.prompt;
  return {
    key: `${recipe}/${asset.id}/${name}`,
    recipe,
    asset: asset.id,
    variant: asset.variant,
    variantName: name,
    status: asset.status,
    ...(asset.error === undefined ? {} : { error: asset.error }),
    ...(typeof prompt === 'string' ? { prompt } : {}),
    seed: main?.seed ?? null,
    ...(main === undefined ? {} : { model: main.model, provider: main.provider }),
    version: main?.version ?? null,
    costUsd: costs.some((cost) => cost === null)
      ? null
      : costs.reduce<number>((sum, cost) => sum + (cost ?? 0), 0),
    cachedSteps: asset.steps.filter((step) => step.cache_hit).length,
    totalSteps: asset.steps.length,
    outputs,
    ...(final === undefined ? {} : { final }),
    steps: asset.steps.map((step) => stepOf(step, options.cacheDir)),
    ...(pick === undefined ? {} : { pick }),
  };
}

export function buildReviewModel(manifest: Manifest, options: ReviewModelOptions): ReviewModel {
  const recipes: ReviewRecipe[] = [];
  const cards: ReviewCard[] = [];
  const statusCounts: Record<AssetStatus, number> = { ok: 0, failed: 0, skipped: 0, cancelled: 0 };
  for (const [name, recipe] of Object.entries(manifest.recipes)) {
    const assets = new Map<string, ReviewAsset>();
    for (const entry of recipe.assets) {
      const card = cardOf(name, recipe.source, entry, options);
      let asset = assets.get(entry.id);
      if (asset === undefined) {
        asset = { id: entry.id, cards: [] };
        assets.set(entry.id, asset);
      }
      asset.cards.push(card);
      cards.push(card);
      statusCounts[card.status] += 1;
    }
    recipes.push({
      name,
      source: recipe.source,
      output: recipe.output,
      assets: [...assets.values()],
      cards: recipe.assets.length,
    });
  }
  return { generatorVersion: manifest.generator.version, recipes, cards, statusCounts };
}

/** Every distinct image the page previews (final images and step images), by content. */
export function imagesOf(model: ReviewModel): ReviewImage[] {
  const images = new Map<string, ReviewImage>();
  const add = (image: ReviewImage) => {
    const known = images.get(image.sha256);
    if (known === undefined) images.set(image.sha256, { ...image, sources: [...image.sources] });
    else for (const source of image.sources) if (!known.sources.includes(source)) known.sources.push(source);
  };
  for (const card of model.cards) {
    if (card.final !== undefined) add(card.final);
    for (const step of card.steps) for (const image of step.images) add(image);
  }
  return [...images.values()];
}
