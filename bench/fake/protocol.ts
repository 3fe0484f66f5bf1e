/** Messages between the bench and the fake Replicate server it runs in a child process (IPC). */
import type { Counts, ModelBehaviour } from '../../test/fake-replicate/index.js';

/** How the fake is started: only plain data (it crosses the process boundary). */
export interface FakeSpec {
  token: string;
  timeScale: number;
  /** Per model (`owner/name`): run time, jitter, cold start, in simulated ms. */
  models: Record<string, Pick<ModelBehaviour, 'runMs' | 'jitterMs' | 'coldStartMs' | 'coldStart'>>;
  rateLimits: { create: number; other: number; lowCredit?: boolean };
  /**
   * Run the fake on simulated time from this origin (ms since the epoch): its clock reads origin + wall time
   * elapsed / timeScale and its sleeps are scaled, so its timestamps (`created_at`, what `created_after`
   * filters on) agree with a provider on `createScaledTime(timeScale, origin)`. Needed where the provider
   * lists recent predictions (adoption after a lost create); without it the fake's timestamps are wall time.
   */
  clockOrigin?: number;
  /** Random transient faults (seeded): this share of API requests and downloads fails once. */
  faults?: TransientFaults;
  /** Every this many simulated ms, each model's next prediction boots cold again (scale-out). */
  coldStartEveryMs?: number;
  seed: number;
}

export interface TransientFaults {
  /** Share of requests that get a fault (0.1 = 10 %). */
  rate: number;
  seed: number;
}

/** Faults that fired, by kind (`503`, `reset-before`, …). */
export type FiredFaults = Record<string, number>;

/** One prediction as the bench needs it: wall-clock times (ms since epoch) and the simulated run time. */
export interface PredictionTiming {
  id: string;
  model: string;
  status: string;
  createdMs: number;
  startedMs: number | null;
  completedMs: number | null;
  /** `metrics.predict_time` in simulated seconds. */
  predictTime: number | null;
}

export type FakeRequest =
  | { id: number; type: 'counts' }
  | { id: number; type: 'reset-counts' }
  | { id: number; type: 'predictions' }
  | { id: number; type: 'faults' }
  | { id: number; type: 'close' };

export type FakeReply =
  | { id: number; type: 'counts'; counts: Counts }
  | { id: number; type: 'predictions'; predictions: PredictionTiming[] }
  | { id: number; type: 'faults'; fired: FiredFaults }
  | { id: number; type: 'ok' };

export type FakeHello = { type: 'ready'; baseUrl: string } | { type: 'failed'; error: string };
