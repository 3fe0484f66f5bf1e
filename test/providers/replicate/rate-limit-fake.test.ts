/**
 * The create limiter end to end: the provider against the fake Replicate (real HTTP), on one simulated
 * clock — the fake's `timeScale` and the provider's clock run at the same factor, as in bench/.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import { realSleep } from '../../../src/providers/replicate/retry.js';
import type { PredictionRequest } from '../../../src/providers/types.js';
import {
  type FakeReplicate,
  type FakeReplicateOptions,
  startFakeReplicate,
} from '../../fake-replicate/index.js';
import { CANARY, smallImageMaker, tempDir } from './helpers.js';

const SCHNELL = 'black-forest-labs/flux-schnell';
const SCALE = 0.1;
const catalog = createCatalog();

let fake: FakeReplicate | undefined;
let dir: { path: string; remove: () => Promise<void> };
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await fake?.close();
  fake = undefined;
  await dir.remove();
});

async function run(options: FakeReplicateOptions, prompts: string[]) {
  fake = await startFakeReplicate({
    token: CANARY,
    makeOutputs: smallImageMaker,
    timeScale: SCALE,
    behaviour: { runMs: 1000, coldStart: 'never' },
    ...options,
  });
  const origin = Date.now();
  const warnings: string[] = [];
  const provider = createReplicateProvider({
    token: CANARY,
    baseUrl: fake.baseUrl,
    clock: () => origin + (Date.now() - origin) / SCALE,
    sleep: (ms, signal) => realSleep(ms * SCALE, signal),
    onWarning: (m) => warnings.push(m),
  });
  const entry = catalog.get(SCHNELL);
  const request = async (prompt: string): Promise<PredictionRequest> => ({
    model: SCHNELL,
    ...(entry ? { catalog: entry } : {}),
    input: { prompt },
    workDir: await mkdir(join(dir.path, prompt), { recursive: true }).then(() => join(dir.path, prompt)),
    taskKey: prompt,
    label: { recipe: 'r', asset: prompt, step: 'draft' },
    signal: new AbortController().signal,
  });
  try {
    const results = await Promise.allSettled(prompts.map(async (p) => provider.predict(await request(p))));
    return { results, warnings, fake };
  } finally {
    await provider.close?.();
  }
}

describe('the create limiter against the fake', () => {
  it('on a low-credit account, five tasks at once draw at most one 429 and all finish', async () => {
    const prompts = ['a', 'b', 'c', 'd', 'e'];
    const { results, warnings, fake: f } = await run({ rateLimits: { lowCredit: true } }, prompts);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(f.predictions.size).toBe(prompts.length);
    // The first create is a probe: its answer (`ratelimit-remaining: 0`, `ratelimit-reset: 10`) shows the
    // account's bucket before a second one leaves, and every later create waits for the server's next
    // token. The old limiter let five creates go at once, then drew 429s on every retry and halved its
    // rate on each, down to one create a minute.
    const throttled = f.counts.create - prompts.length;
    expect(throttled).toBeLessThanOrEqual(1);
    expect(warnings.join('\n')).toContain('6 creates per minute with a burst of 1');
    expect(warnings.join('\n')).not.toContain('limit reached');
  });

  it('transient faults on creates (503, resets, a passing 429) cost no rate and no duplicate', async () => {
    const prompts = Array.from({ length: 12 }, (_, i) => `p${i}`);
    const {
      results,
      warnings,
      fake: f,
    } = await run(
      {
        faults: [
          { on: 'create', nth: 2, fault: { type: 'status', status: 503 } },
          { on: 'create', nth: 4, fault: { type: 'reset-after' } },
          { on: 'create', nth: 6, fault: { type: 'reset-before' } },
          { on: 'create', nth: 8, fault: { type: 'rate-limit', retryAfter: 1, header: false } },
          { on: 'get', times: 3, fault: { type: 'status', status: 502 } },
        ],
      },
      prompts,
    );
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    expect(f.predictions.size).toBe(prompts.length);
    expect(f.faults.fired.filter((x) => x.on === 'create')).toHaveLength(4);
    expect(warnings.join('\n')).not.toMatch(/pacing creates|limit reached/);
  });
});
