/**
 * The super-resolution worker thread: loads TensorFlow.js (core + the wasm backend, single-threaded, so
 * the same input always gives the same bytes) and the network once, then runs the tile windows that
 * `worker-pool.ts` sends, one at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as Tf from '@tensorflow/tfjs-core';
import { fileSystemHandler } from './model-files.js';
import { createNetwork, type Network } from './network.js';

export interface WorkerSetup {
  modelDir: string;
  wasmDir: string;
}

/** One tile's window, RGB 0–255. */
export interface TileJob {
  id: number;
  rgb: Uint8Array;
  width: number;
  height: number;
}

export type WorkerReply =
  | { id: number; ok: true; rgb: Uint8Array; width: number; height: number }
  | { id: number; ok: false; message: string };

async function loadNetwork(setup: WorkerSetup): Promise<Network> {
  const tf = (await import('@tensorflow/tfjs-core')) as unknown as typeof Tf & { default?: typeof Tf };
  const core = tf.default ?? tf;
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as {
    setWasmPaths(prefix: string): void;
    setThreadsCount?(count: number): void;
    default?: { setWasmPaths(prefix: string): void; setThreadsCount?(count: number): void };
  };
  const backend = wasm.default ?? wasm;
  backend.setWasmPaths(setup.wasmDir);
  backend.setThreadsCount?.(1);
  if (!(await core.setBackend('wasm'))) throw new Error('the TensorFlow.js wasm backend did not start');
  await core.ready();
  return createNetwork(core, await fileSystemHandler(setup.modelDir).load());
}

const port = parentPort;
if (port !== null) {
  const ready = loadNetwork(workerData as WorkerSetup);
  // A failed load is reported with each job (the pool turns it into the task's error).
  ready.catch(() => {});
  port.on('message', (job: TileJob) => {
    ready
      .then(async (network): Promise<WorkerReply> => {
        const rgb = await network.run(job.rgb, job.width, job.height);
        return {
          id: job.id,
          ok: true,
          rgb,
          width: job.width * network.scale,
          height: job.height * network.scale,
        };
      })
      .catch(
        (error: unknown): WorkerReply => ({
          id: job.id,
          ok: false,
          message: error instanceof Error ? error.message : String(error),
        }),
      )
      .then((reply) => port.postMessage(reply, reply.ok ? [reply.rgb.buffer as ArrayBuffer] : []));
  });
}
