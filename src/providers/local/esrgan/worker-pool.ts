/**
 * Super-resolution worker threads for one provider (one run): started lazily — when the first tile
 * arrives (or `warm()` is called because the run has upscales to do), more only while every started one
 * is busy, up to `size` (the run's local slots) — reused for the rest of the run, and terminated by
 * `close()`. Tiles queue first come, first served, so one large picture keeps every worker busy. An idle
 * worker does not keep the process alive (unref): a caller that forgets `close()` still exits.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TileJob, WorkerReply, WorkerSetup } from './worker.js';

export interface UpscaledRgb {
  rgb: Uint8Array;
  width: number;
  height: number;
}

export interface WorkerPool {
  /** Runs the network over one RGB window on the next free worker. */
  run(rgb: Uint8Array, width: number, height: number): Promise<UpscaledRgb>;
  /** Starts every worker now (loading overlaps other work); idle ones still let the process exit. */
  warm(): void;
  /** Workers started so far (for tests and the bench). */
  readonly started: number;
  close(): Promise<void>;
}

interface Slot {
  worker: Worker;
  busy: boolean;
  pending: { resolve(value: UpscaledRgb): void; reject(error: Error): void } | undefined;
}

/**
 * The worker's entry: the compiled `.js` beside this file; from the TypeScript sources (tests, the bench)
 * the `.ts` file, loaded through tsx in the worker.
 */
function startWorker(setup: WorkerSetup): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./worker.js', here), { workerData: setup });
  const tsx = pathToFileURL(tsxEsmApi(here)).href;
  const entry = new URL('./worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(boot, { eval: true, workerData: setup });
}

/** tsx's ESM API entry (its `import` export; resolving through require would give the CJS one). */
function tsxEsmApi(from: string): string {
  const manifest = createRequire(from).resolve('tsx/package.json');
  const { exports } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const entry = exports['./esm/api']?.import?.default;
  if (entry === undefined) throw new Error('tsx has no ESM API to load the worker from TypeScript');
  return join(dirname(manifest), entry);
}

export function createWorkerPool(setup: WorkerSetup, size: number): WorkerPool {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`worker pool size must be ≥ 1, got ${size}`);
  const slots: Slot[] = [];
  const waiting: Array<(slot: Slot) => void> = [];
  let nextId = 0;
  let closed = false;

  const release = (slot: Slot): void => {
    slot.pending = undefined;
    const next = waiting.shift();
    if (next !== undefined) next(slot);
    else {
      slot.busy = false;
      slot.worker.unref();
    }
  };

  const spawn = (): Slot => {
    const slot: Slot = { worker: startWorker(setup), busy: true, pending: undefined };
    const failAll = (error: Error): void => {
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      slot.pending?.reject(error);
      slot.pending = undefined;
      // A job waiting for this worker gets a new one.
      const next = closed ? undefined : waiting.shift();
      if (next !== undefined) next(spawn());
    };
    slot.worker.on('message', (reply: WorkerReply) => {
      const pending = slot.pending;
      if (pending === undefined) return;
      if (reply.ok) pending.resolve({ rgb: reply.rgb, width: reply.width, height: reply.height });
      else pending.reject(new Error(reply.message));
      release(slot);
    });
    slot.worker.on('error', (error) => failAll(error));
    slot.worker.on('exit', (code) => {
      if (!closed) failAll(new Error(`the super-resolution worker stopped (exit code ${code})`));
    });
    slots.push(slot);
    return slot;
  };

  /** A worker reserved for one job (busy until released). */
  const acquire = (): Promise<Slot> => {
    const idle = slots.find((slot) => !slot.busy);
    if (idle !== undefined) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (slots.length < size) return Promise.resolve(spawn());
    return new Promise((resolve) => waiting.push(resolve));
  };

  return {
    get started() {
      return slots.length;
    },
    warm() {
      if (closed) return;
      while (slots.length < size) release(spawn());
    },
    async run(rgb, width, height) {
      if (closed) throw new Error('the super-resolution workers were closed');
      // The buffer is handed over to the worker: never one shared with other data.
      const own = rgb.byteOffset === 0 && rgb.byteLength === rgb.buffer.byteLength ? rgb : rgb.slice();
      const slot = await acquire();
      const job: TileJob = { id: nextId++, rgb: own, width, height };
      return new Promise<UpscaledRgb>((resolve, reject) => {
        slot.pending = { resolve, reject };
        slot.worker.ref();
        slot.worker.postMessage(job, [own.buffer as ArrayBuffer]);
      });
    },
    async close() {
      closed = true;
      const all = slots.splice(0);
      for (const slot of all) slot.pending?.reject(new Error('the super-resolution workers were closed'));
      await Promise.all(all.map((slot) => slot.worker.terminate()));
    },
  };
}
