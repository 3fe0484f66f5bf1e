/** The image module: the only code in assetgen that imports sharp. Re-exports only. */
export { parseColour, type Rgba } from './colour.js';
export { type EncodedImage, type EncodeOptions, encodeImage, encodeRaw } from './encode.js';
export {
  contentTypeOf,
  formatFromPath,
  IMAGE_FORMATS,
  type ImageFormat,
  isImageFormat,
  type NormalizedFormat,
  normalizeFormat,
} from './formats.js';
export { type ImageInput, MAX_INPUT_PIXELS, type RawImage } from './input.js';
export { type ApplyOperationsOptions, applyOperations } from './operations.js';
export { PIXEL_STATS_VERSION, type PixelStats, pixelStats } from './pixel-stats.js';
export { type ImagePlaceholder, makePlaceholder } from './placeholder.js';
export {
  type ImageFileVerdict,
  type ImageInfo,
  inspectImageFile,
  probeImage,
  readImageSize,
  verifyImage,
} from './probe.js';
export { blurChannel, decodeRgba, resizeRaw, scaleImage } from './raw.js';
export { type OperationName, planStages, type Stage } from './stages.js';
export { imageLibraryVersion } from './version.js';
export {
  compareVisually,
  fitInside,
  makePreview,
  type Preview,
  type VisualComparison,
  type VisualComparisonOptions,
} from './visual-compare.js';
export { type ImageMetadata, readImageMetadata } from './xmp.js';
