/**
 * The `local` provider: offline stand-ins for the catalogued models, chosen by the model's kind. Used when
 * no REPLICATE_API_TOKEN is set. Free, deterministic, and honest about being a stand-in (provider `local`).
 */
import { AssetgenError, CancelledError, ProviderError } from '../../errors.js';
import type { ModelKind } from '../../models/catalog.js';
import type { PredictionRequest, PredictionResult, Provider } from '../types.js';
import { backgroundRemoval } from './background-removal.js';
import { createWorkerPool, type WorkerPool } from './esrgan/worker-pool.js';
import { localError, PROVIDER_NAME, throwIfAborted } from './request-input.js';
import type { StandIn, StandInOptions } from './stand-in.js';
import { textReply } from './text-reply.js';
import { placeholderImages } from './text-to-image.js';
import { upscale } from './upscale.js';
import { type LocalUpscaler, localTaskKeyParts } from './upscaler-choice.js';

export interface LocalProviderOptions {
  /** Largest picture a stand-in makes or reads, in pixels (default 8192 × 8192). */
  maxPixels?: number;
  /**
   * Folder that a relative image path in a request resolves against: the run's `cwd` (default
   * `process.cwd()`). Recipe file inputs arrive resolved already; this is for paths given as they are.
   */
  cwd?: string;
  /** The upscaler, from `resolveLocalUpscaler` (default: lanczos). */
  upscaler?: LocalUpscaler;
  /** Super-resolution worker threads at most (default 1; the run gives its local slots). */
  workers?: number;
  /** Start the workers now, so that loading them overlaps the steps before the first upscale. */
  prewarm?: boolean;
}

const STAND_INS: Readonly<Record<ModelKind, StandIn>> = {
  'text-to-image': placeholderImages,
  upscale,
  'background-removal': backgroundRemoval,
  text: textReply,
};

export function createLocalProvider(options: LocalProviderOptions = {}): Provider {
  const upscaler: LocalUpscaler = options.upscaler ?? { name: 'lanczos' };
  let pool: WorkerPool | undefined;
  const standInOptions: StandInOptions = {
    maxPixels: options.maxPixels ?? 8192 * 8192,
    cwd: options.cwd ?? process.cwd(),
  };
  if (upscaler.name === 'esrgan') {
    const { modelDir, wasmDir } = upscaler.files;
    standInOptions.superResolution = () => {
      pool ??= createWorkerPool({ modelDir, wasmDir }, options.workers ?? 1);
      return pool;
    };
    if (options.prewarm === true) standInOptions.superResolution().warm();
  }
  return {
    name: PROVIDER_NAME,
    paid: false,
    taskKeyParts: (catalog) => localTaskKeyParts(upscaler, catalog),
    async close() {
      await pool?.close();
      pool = undefined;
    },
    async predict(request: PredictionRequest): Promise<PredictionResult> {
      throwIfAborted(request.signal);
      const kind = request.catalog?.kind;
      const standIn = kind === undefined ? undefined : STAND_INS[kind];
      if (!standIn) {
        throw localError(
          'LOCAL_NO_STANDIN',
          `${request.model} has no offline stand-in; set REPLICATE_API_TOKEN to run it on Replicate`,
          request,
        );
      }
      const started = performance.now();
      try {
        const result = await standIn(request, standInOptions);
        throwIfAborted(request.signal);
        return {
          provider: PROVIDER_NAME,
          files: result.files,
          ...(result.text !== undefined && { text: result.text }),
          actualUsd: 0,
          metrics: { predict_time: Math.round(performance.now() - started) / 1000 },
        };
      } catch (error) {
        if (error instanceof CancelledError || error instanceof ProviderError) throw error;
        throwIfAborted(request.signal);
        const reason = error instanceof Error ? error.message : String(error);
        const code =
          error instanceof AssetgenError && error.code === 'IMAGE_INVALID' ? 'LOCAL_INPUT' : 'LOCAL_FAILED';
        throw localError(code, `${request.model} (offline ${kind} stand-in): ${reason}`, request, {
          cause: error,
        });
      }
    },
  };
}
