/**
 * Concurrency pools, created per run: one limit for remote (paid) work, optional per-model limits inside
 * it, and a separate pool for local CPU work (image operations, output encoding, offline stand-ins).
 */
import { availableParallelism } from 'node:os';
import pLimit, { type LimitFunction } from 'p-limit';

export interface PoolOptions {
  remote?: number;
  local?: number;
  models?: Readonly<Record<string, number>>;
}

export interface Pools {
  remote<T>(model: string, work: () => Promise<T>): Promise<T>;
  local<T>(work: () => Promise<T>): Promise<T>;
}

export const DEFAULT_REMOTE_CONCURRENCY = 8;

export function createPools(options: PoolOptions = {}): Pools {
  const remote = pLimit(options.remote ?? DEFAULT_REMOTE_CONCURRENCY);
  const local = pLimit(options.local ?? Math.max(1, availableParallelism()));
  const perModel = new Map<string, LimitFunction>();
  for (const [model, limit] of Object.entries(options.models ?? {})) perModel.set(model, pLimit(limit));
  return {
    remote(model, work) {
      const modelLimit = perModel.get(model);
      return modelLimit === undefined ? remote(work) : modelLimit(() => remote(work));
    },
    local: (work) => local(work),
  };
}
