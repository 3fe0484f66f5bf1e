/** What one bench run shares between scenarios: options, a work folder, and results it may reuse. */
import type { WorkloadTime } from './workload.js';

export interface BenchOptions {
  /** Scenario numbers to run (1–12). */
  only: ReadonlySet<number>;
  /** Whether `--only` picked the scenarios (long rows such as S5 at 100,000 assets run only then). */
  onlyGiven: boolean;
  /** Smaller workloads for a smoke run. */
  quick: boolean;
  /** Real milliseconds per simulated "unit" of model time. */
  unitMs: number;
  /** Where results.json goes. */
  resultsPath: string;
  /** Keep the work folder (for inspection). */
  keep: boolean;
  /** Where S5 writes its runs (default: a tmpfs when there is one, see scenarios/scale.ts). */
  scaleDir?: string;
}

export interface ScenarioRow {
  /** `S1` … `S6`, with a suffix for extra rows (`S5b`). */
  id: string;
  title: string;
  /** The headline number. */
  value: number;
  unit: string;
  target: string;
  /** null when the row has no target. */
  met: boolean | null;
  /** One line with the numbers behind the headline. */
  summary: string;
  details: Record<string, unknown>;
}

export interface BenchContext {
  options: BenchOptions;
  time: WorkloadTime;
  /** A fresh folder for this run (removed at the end unless `keep`). */
  workDir: string;
  /** Sizes that depend on --quick. */
  sizes: {
    pipelineAssets: number;
    concurrency: number;
    images: number;
    /** S5: small, middle (the no-heap-flag row) and large (time per asset against small). */
    scale: [number, number, number];
    starts: number;
  };
  /** Results computed once and reused by later scenarios (S1's run feeds S2 and S3). */
  memo: Map<string, Promise<unknown>>;
  log(message: string): void;
}

/** Computes `make()` once per bench run under `key`. */
export function memo<T>(context: BenchContext, key: string, make: () => Promise<T>): Promise<T> {
  let value = context.memo.get(key) as Promise<T> | undefined;
  if (value === undefined) {
    value = make();
    context.memo.set(key, value);
  }
  return value;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const round = (value: number, digits = 2): number => Number(value.toFixed(digits));
