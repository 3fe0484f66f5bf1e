/**
 * `writeReviewPage`: the review page of an output folder — its manifest → cards → thumbnails →
 * `DIR/index.html` (written atomically), thumbnails beside it in `DIR/thumbs/`. What `assetgen review`
 * and `run --review` do. `prepareReview` is everything but the page's writing (`assetgen dev` serves it).
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { readManifest } from '../manifest/read.js';
import { writeFileAtomic } from '../store/atomic.js';
import { buildReviewModel, imagesOf, type ReviewModel } from './model.js';
import { renderReviewPage } from './render-page.js';
import { ensureThumbnails, type ThumbnailReport } from './thumbnails.js';

export const REVIEW_PAGE = 'index.html';
export const DEFAULT_THUMBNAIL_SIZE = 480;

export interface WriteReviewOptions {
  /** The output folder whose manifest.json the page shows. */
  outDir: string;
  /** The page's folder: `index.html` and `thumbs/` go there. */
  to: string;
  /** The cache folder, where step images are read from. */
  cacheDir: string;
  /** How to name the manifest on the page (default: its path). */
  manifestLabel?: string;
  /** Longest side of a thumbnail, in pixels (default 480: sharp on 240-pixel cards at 2× density). */
  thumbnailSize?: number;
  /** Thumbnails made at once (default: the number of CPUs). */
  concurrency?: number;
  /** The time shown on the page (default: now). */
  now?: Date;
}

export interface ReviewReport {
  /** The page, absolute. */
  path: string;
  recipes: number;
  cards: number;
  thumbnails: { made: number; kept: number; failed: number; removed: number };
  /** Images that could not be previewed, one line each. */
  problems: string[];
  durationMs: number;
}

const inside = (folder: string, path: string): boolean => {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/** A review page's content, ready to render: the cards, their previews (thumbnails made) and what could not be previewed. */
export interface PreparedReview {
  model: ReviewModel;
  previews: ThumbnailReport['previews'];
  thumbnails: ReviewReport['thumbnails'];
  problems: string[];
  pageDir: string;
  manifestLabel: string;
}

/**
 * Reads the manifest and makes the thumbnails into `to/thumbs/`, without writing the page: what
 * `writeReviewPage` renders into `index.html`, and what `assetgen dev` serves.
 */
export async function prepareReview(options: WriteReviewOptions): Promise<PreparedReview> {
  const outDir = resolve(options.outDir);
  const pageDir = resolve(options.to);
  const cacheDir = resolve(options.cacheDir);
  const manifestLabel = options.manifestLabel ?? join(outDir, 'manifest.json');
  if (inside(outDir, pageDir))
    throw new UsageError(
      `the review page would be written inside the output folder ${outDir} (--to ${options.to}); ` +
        'the output folder holds only outputs and manifest.json: choose a --to outside it (default .assetgen/review)',
    );
  const manifest = await readManifest(outDir);
  const thumbnailSize = options.thumbnailSize ?? DEFAULT_THUMBNAIL_SIZE;
  const model = buildReviewModel(manifest, { outDir, cacheDir, thumbnailSize });
  const thumbnails = await ensureThumbnails(imagesOf(model), {
    pageDir,
    size: thumbnailSize,
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const problems: string[] = [];
  for (const card of model.cards) {
    const named = [
      ...(card.final === undefined ? [] : [{ what: 'final image', image: card.final }]),
      ...card.steps.flatMap((step) => step.images.map((image) => ({ what: `step ${step.id}`, image }))),
    ];
    for (const { what, image } of named) {
      const preview = thumbnails.previews.get(image.sha256);
      const title = card.variantName === '' ? card.asset : `${card.asset} (${card.variantName})`;
      if (preview?.ok === false) problems.push(`${card.recipe}/${title}, ${what}: ${preview.reason}`);
      else if (preview?.note !== undefined)
        problems.push(`${card.recipe}/${title}, ${what}: ${preview.note}`);
    }
  }
  const { made, kept, failed, removed } = thumbnails;
  return {
    model,
    previews: thumbnails.previews,
    thumbnails: { made, kept, failed, removed },
    problems,
    pageDir,
    manifestLabel,
  };
}

export async function writeReviewPage(options: WriteReviewOptions): Promise<ReviewReport> {
  const started = performance.now();
  const prepared = await prepareReview(options);
  const html = renderReviewPage(prepared.model, {
    pageDir: prepared.pageDir,
    previews: prepared.previews,
    manifestLabel: prepared.manifestLabel,
    writtenAt: options.now ?? new Date(),
  });
  const path = join(prepared.pageDir, REVIEW_PAGE);
  // Derived from the manifest and rewritten at will: atomic, but not forced to disk.
  await writeFileAtomic(path, html, { durable: false });
  return {
    path,
    recipes: prepared.model.recipes.length,
    cards: prepared.model.cards.length,
    thumbnails: prepared.thumbnails,
    problems: prepared.problems,
    durationMs: performance.now() - started,
  };
}
