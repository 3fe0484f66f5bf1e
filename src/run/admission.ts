/**
 * Admission of assets into a run, in plan order. An asset holds two places: one in the *model window*
 * until its last model step is done, and one in the *total window* until its outputs are written. The
 * model window (four per remote slot) keeps enough chains waiting that no remote slot idles; the total
 * window (four per slot of both pools, at least the model window) lets finished chains queue for the
 * local pool without blocking the next ones, while bounding what a run holds in memory (chains, work
 * folders, pending look-ups) whatever its size. Every chain waiting for the local pool lives long enough
 * to be promoted to V8's old generation, so the window sets the live heap: at sixteen per slot a run of
 * one fast step with 32 remote slots held ~540 chains and peaked at 248 MB RSS, at four 193 MB, at the
 * same rate (bench S5's workload, 6,000 assets, measured side by side).
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_REMOTE_CONCURRENCY, type PoolOptions, PrioritySemaphore, type Release } from './pools.js';

export interface AdmittedAsset {
  /** The asset's model steps are all done (or it has none): its model-window place is handed on. */
  modelsDone(): void;
  /** The asset is finished: both places are handed on. Idempotent. */
  leave(): void;
}

export interface Admission {
  readonly modelWindow: number;
  readonly totalWindow: number;
  enter(): Promise<AdmittedAsset>;
}

export function createAdmission(pools: PoolOptions = {}): Admission {
  const remote = pools.remote ?? DEFAULT_REMOTE_CONCURRENCY;
  const local = pools.local ?? Math.max(1, availableParallelism());
  const modelWindow = Math.max(16, 4 * remote);
  const totalWindow = Math.max(modelWindow, 4 * (remote + local));
  const models = new PrioritySemaphore(modelWindow);
  const total = new PrioritySemaphore(totalWindow);
  return {
    modelWindow,
    totalWindow,
    async enter() {
      const leaveTotal: Release = await total.acquire();
      const leaveModels: Release = await models.acquire();
      return {
        modelsDone: leaveModels,
        leave() {
          leaveModels();
          leaveTotal();
        },
      };
    },
  };
}
