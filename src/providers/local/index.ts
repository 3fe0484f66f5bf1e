/** The offline `local` provider. Re-exports only. */

export { fluxSize } from './image-size.js';
export { createLocalProvider, type LocalProviderOptions } from './local-provider.js';
export { type PlaceholderSpec, renderPlaceholder } from './placeholder.js';
export {
  LOCAL_UPSCALERS,
  type LocalUpscaler,
  type LocalUpscalerName,
  localTaskKeyParts,
  resolveLocalUpscaler,
} from './upscaler-choice.js';
