/**
 * A provider driver for runner tests: makes a small real PNG per task, with controllable delay and
 * failures, and records the order and overlap of calls. (Replicate itself is played by the fake HTTP
 * server in test/fake-replicate; this one isolates the runner's scheduling.)
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { CancelledError, ProviderError } from '../../src/errors.js';
import type { PredictionRequest, PredictionResult, Provider } from '../../src/providers/types.js';

export interface TestProviderOptions {
  paid?: boolean;
  delayMs?: (request: PredictionRequest) => number;
  fail?: (request: PredictionRequest) => boolean;
  costUsd?: number;
}

export interface CallRecord {
  asset: string;
  step: string;
  start: number;
  end: number;
}

export function createTestProvider(options: TestProviderOptions = {}) {
  const calls: CallRecord[] = [];
  let active = 0;
  let maxActive = 0;
  const provider: Provider = {
    name: 'test',
    paid: options.paid ?? true,
    async predict(request: PredictionRequest): Promise<PredictionResult> {
      const record: CallRecord = {
        asset: request.label.asset,
        step: request.label.step,
        start: performance.now(),
        end: 0,
      };
      calls.push(record);
      active++;
      maxActive = Math.max(maxActive, active);
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
        const seed = createHash('sha256').update(JSON.stringify(request.input)).digest();
        const data = await sharp({
          create: {
            width: 64,
            height: 48,
            channels: 3,
            background: { r: seed[0] ?? 0, g: seed[1] ?? 0, b: seed[2] ?? 0 },
          },
        })
          .png()
          .toBuffer();
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
        active--;
        record.end = performance.now();
      }
    },
  };
  return { provider, calls, maxActive: () => maxActive };
}
