/**
 * A provider driver for runner tests: makes a small real PNG per task, with controllable delay and
 * failures, and records the order and overlap of calls. (Replicate itself is played by the fake HTTP
 * server in test/fake-replicate; this one isolates the runner's scheduling.)
 */

import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CancelledError, ProviderError } from '../../src/errors.js';
import type { PredictionRequest, PredictionResult, Provider } from '../../src/providers/types.js';
import { markedPng } from './marked-png.js';

export interface TestProviderOptions {
  paid?: boolean;
  delayMs?: (request: PredictionRequest) => number;
  fail?: (request: PredictionRequest) => boolean;
  costUsd?: number;
  /** Time spent "fetching outputs" after the model is done (and `onModelDone` was awaited). */
  downloadMs?: number;
}

export interface CallRecord {
  asset: string;
  step: string;
  start: number;
  /** When the model part ended (before the outputs were fetched). */
  modelEnd: number;
  end: number;
}

export function createTestProvider(options: TestProviderOptions = {}) {
  const calls: CallRecord[] = [];
  let active = 0;
  let maxActive = 0;
  let open = 0;
  let maxOpen = 0;
  let fetching = 0;
  let maxFetching = 0;
  const provider: Provider = {
    name: 'test',
    paid: options.paid ?? true,
    async predict(request: PredictionRequest): Promise<PredictionResult> {
      const record: CallRecord = {
        asset: request.label.asset,
        step: request.label.step,
        start: performance.now(),
        modelEnd: 0,
        end: 0,
      };
      calls.push(record);
      active++;
      open++;
      maxActive = Math.max(maxActive, active);
      maxOpen = Math.max(maxOpen, open);
      let modelRunning = true;
      const endModel = () => {
        if (!modelRunning) return;
        modelRunning = false;
        active--;
        record.modelEnd = performance.now();
      };
      try {
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(timer);
            reject(new CancelledError());
          };
          const timer = setTimeout(() => {
            request.signal.removeEventListener('abort', onAbort);
            resolve();
          }, options.delayMs?.(request) ?? 5);
          request.signal.addEventListener('abort', onAbort, { once: true });
        });
        if (options.fail?.(request) === true) {
          throw new ProviderError('PREDICTION_FAILED', `model failed for ${request.label.asset}`, {
            provider: 'test',
            model: request.model,
          });
        }
        endModel();
        await request.onModelDone?.({ actualUsd: options.costUsd ?? 0.01 });
        fetching++;
        maxFetching = Math.max(maxFetching, fetching);
        if (options.downloadMs !== undefined) await new Promise((r) => setTimeout(r, options.downloadMs));
        fetching--;
        const seed = createHash('sha256').update(JSON.stringify(request.input)).digest();
        // Every picture is 64×48; an upscaler's (an input with a `scale`) that times the scale, as its gate expects.
        const scale = typeof request.input.scale === 'number' ? request.input.scale : 1;
        const colour = { r: seed[0] ?? 0, g: seed[1] ?? 0, b: seed[2] ?? 0 };
        const data = await markedPng(64 * scale, 48 * scale, colour);
        const path = join(request.workDir, 'out-0.png');
        await writeFile(path, data);
        return {
          provider: 'test',
          files: [
            {
              path,
              sha256: createHash('sha256').update(data).digest('hex'),
              bytes: data.length,
              contentType: 'image/png',
            },
          ],
          actualUsd: options.costUsd ?? 0.01,
          predictionId: `p-${request.label.asset}-${request.label.step}`,
        };
      } finally {
        endModel();
        open--;
        record.end = performance.now();
      }
    },
  };
  /**
   * maxActive: most models running at once; maxFetching: most output fetches at once (after
   * `onModelDone`); maxOpen: most `predict` calls open (waiting for a transfer slot included).
   */
  return {
    provider,
    calls,
    maxActive: () => maxActive,
    maxFetching: () => maxFetching,
    maxOpen: () => maxOpen,
  };
}
