/** What each offline stand-in returns; the provider adds the common fields. */
import type { PredictionRequest, ProducedFile } from '../types.js';

export interface StandInResult {
  files: ProducedFile[];
  text?: string;
}

export interface StandInOptions {
  /** Largest picture a stand-in will make or read, in pixels. */
  maxPixels: number;
}

export type StandIn = (request: PredictionRequest, options: StandInOptions) => Promise<StandInResult>;
