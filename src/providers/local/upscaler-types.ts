/**
 * The offline upscaler's public types, free of TensorFlow.js types (which need the DOM library), so that
 * the package's declarations type-check in a Node project with or without the optional packages.
 */

export type LocalUpscalerName = 'esrgan' | 'lanczos';

export interface ModelFiles {
  /** The folder holding model.json and its shards (…/esrgan-slim/models/x2). */
  modelDir: string;
  /** The backend's dist folder with the .wasm binaries, ending in a separator (as setWasmPaths wants). */
  wasmDir: string;
  /** sha256 over model.json and every shard, in the manifest's order. */
  weightsSha256: string;
}

export type LocalUpscaler =
  | { name: 'esrgan'; files: ModelFiles }
  | {
      name: 'lanczos';
      /** Set when ESRGAN was asked for but cannot run here: the one-line warning a run prints. */
      fallback?: string;
    };
