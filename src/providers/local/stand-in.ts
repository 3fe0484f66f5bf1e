/** What each offline stand-in returns; the provider adds the common fields. */
import type { PredictionRequest, ProducedFile } from '../types.js';
import type { WorkerPool } from './esrgan/worker-pool.js';

export interface StandInResult {
  files: ProducedFile[];
  text?: string;
}

export interface StandInOptions {
  /** Largest picture a stand-in will make or read, in pixels. */
  maxPixels: number;
  /** Folder a relative image path in the request resolves against (the run's `cwd`). */
  cwd: string;
  /** The run's super-resolution workers (started on first call); absent when upscales use lanczos. */
  superResolution?: () => WorkerPool;
}

export type StandIn = (request: PredictionRequest, options: StandInOptions) => Promise<StandInResult>;
