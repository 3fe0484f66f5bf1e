/** The review page (contact sheet) of an output folder. Re-exports only. */
export {
  type AssetStatus,
  buildReviewModel,
  type ReviewCard,
  type ReviewModel,
  type ReviewModelOptions,
} from './model.js';
export { pickCommand, shellWord, variantName } from './pick-command.js';
export { type PageOptions, renderReviewPage, type ServedPage } from './render-page.js';
export {
  DEFAULT_THUMBNAIL_SIZE,
  type PreparedReview,
  prepareReview,
  REVIEW_PAGE,
  type ReviewReport,
  type WriteReviewOptions,
  writeReviewPage,
} from './write-review.js';
