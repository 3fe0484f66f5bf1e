/**
 * The super-resolution worker thread: loads TensorFlow.js (core + the wasm backend, single-threaded, so
 * the same input always gives the same bytes) and the network once, then upscales pictures sent by
 * `worker-pool.ts` tile by tile, `passes` times ×2.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type * as Tf from '@tensorflow/tfjs-core';
import { fileSystemHandler } from './model-files.js';
import { createNetwork, type Network } from './network.js';
import { cutWindow, placeCore, planTiles, type TileOptions } from './tiles.js';

export interface WorkerSetup {
  modelDir: string;
  wasmDir: string;
  tiles: TileOptions;
}

export interface UpscaleJob {
  id: number;
  rgb: Uint8Array;
  width: number;
  height: number;
  /** How many ×2 passes. */
  passes: number;
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

async function upscale(network: Network, job: UpscaleJob, tiles: TileOptions): Promise<WorkerReply> {
  let { rgb, width, height } = job;
  const scale = network.scale;
  for (let pass = 0; pass < job.passes; pass++) {
    const outWidth = width * scale;
    const output = new Uint8Array(outWidth * height * scale * 3);
    for (const tile of planTiles(width, height, tiles)) {
      const window = cutWindow(rgb, width, tile);
      const result = await network.run(window, tile.windowWidth, tile.windowHeight);
      placeCore(output, outWidth, result, tile, scale);
    }
    rgb = output;
    width = outWidth;
    height *= scale;
  }
  return { id: job.id, ok: true, rgb, width, height };
}

const port = parentPort;
if (port !== null) {
  const setup = workerData as WorkerSetup;
  const ready = loadNetwork(setup);
  // A failed load is reported with each job (the pool turns it into the task's error).
  ready.catch(() => {});
  port.on('message', (job: UpscaleJob) => {
    ready
      .then((network) => upscale(network, job, setup.tiles))
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
