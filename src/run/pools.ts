/**
 * Concurrency pools, created per run. Remote (paid) work takes a slot of the remote limit — and of its
 * model's own limit when the recipe sets one — only while the prediction runs on the provider: the slot is
 * handed back when the model is done, and fetching the outputs then takes a transfer slot instead, so file
 * work never holds up the next prediction. Local CPU work (image operations, output encoding, offline
 * stand-ins) has its own pool.
 *
 * Waiting tasks, remote and local, are served by priority, then first come first served: the runner gives
 * a task its position in its asset's chain (outputs last), so the tasks of started assets go first —
 * assets finish early, outputs are written throughout the run, and an image step's outputs follow it
 * while its pixels are still in memory (pixel-memo.ts).
 */
import { availableParallelism } from 'node:os';

export interface PoolOptions {
  remote?: number;
  local?: number;
  models?: Readonly<Record<string, number>>;
  /** Outputs fetched at once after their predictions finished (default: the remote limit). */
  transfers?: number;
}

/** Hands a slot back; calling it again does nothing. */
export type Release = () => void;

export interface Pools {
  /** Waits for a remote slot (and the model's own, if limited); higher `priority` is served first. */
  acquireRemote(model: string, priority: number): Promise<Release>;
  /** Waits for a slot to fetch a finished prediction's outputs. */
  acquireTransfer(): Promise<Release>;
  /** Runs local work when a local slot is free; higher `priority` first (default 0). */
  local<T>(work: () => Promise<T>, priority?: number): Promise<T>;
}

export const DEFAULT_REMOTE_CONCURRENCY = 8;

/** A counting semaphore whose waiters are served by priority (highest first), FIFO within a priority. */
export class PrioritySemaphore {
  private free: number;
  private readonly waiting = new Map<number, Array<() => void>>();
  private waiters = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be ≥ 1, got ${size}`);
    this.free = size;
  }

  get pending(): number {
    return this.waiters;
  }

  acquire(priority = 0): Promise<Release> {
    if (this.free > 0 && this.waiters === 0) {
      this.free -= 1;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const queue = this.waiting.get(priority);
      const wake = (): void => resolve(this.releaser());
      if (queue === undefined) this.waiting.set(priority, [wake]);
      else queue.push(wake);
      this.waiters += 1;
    });
  }

  private releaser(): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.nextWaiter();
      if (next === undefined) this.free += 1;
      else next();
    };
  }

  private nextWaiter(): (() => void) | undefined {
    if (this.waiters === 0) return undefined;
    let best: number | undefined;
    for (const [priority, queue] of this.waiting) {
      if (queue.length > 0 && (best === undefined || priority > best)) best = priority;
    }
    if (best === undefined) return undefined;
    const queue = this.waiting.get(best) as Array<() => void>;
    const next = queue.shift();
    if (queue.length === 0) this.waiting.delete(best);
    this.waiters -= 1;
    return next;
  }
}

export function createPools(options: PoolOptions = {}): Pools {
  const remoteSize = options.remote ?? DEFAULT_REMOTE_CONCURRENCY;
  const remote = new PrioritySemaphore(remoteSize);
  const transfers = new PrioritySemaphore(options.transfers ?? remoteSize);
  const local = new PrioritySemaphore(options.local ?? Math.max(1, availableParallelism()));
  const perModel = new Map<string, PrioritySemaphore>();
  for (const [model, limit] of Object.entries(options.models ?? {})) {
    perModel.set(model, new PrioritySemaphore(limit));
  }
  return {
    async acquireRemote(model, priority) {
      const modelSlot = await perModel.get(model)?.acquire(priority);
      const slot = await remote.acquire(priority);
      return () => {
        slot();
        modelSlot?.();
      };
    },
    acquireTransfer: () => transfers.acquire(),
    async local(work, priority = 0) {
      const release = await local.acquire(priority);
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
