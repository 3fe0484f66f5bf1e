import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createSdkClient } from '../../../src/providers/replicate/client.js';
import type { ProviderContext } from '../../../src/providers/replicate/context.js';
import { createRedactor } from '../../../src/providers/replicate/errors.js';
import { pollDelay, waitForPrediction } from '../../../src/providers/replicate/poll.js';
import type { Prediction } from '../../../src/providers/replicate/prediction.js';
import { createRateLimiter } from '../../../src/providers/replicate/rate-limiter.js';
import type { ProviderEvent } from '../../../src/providers/types.js';
import { CANARY, createFakeTime } from './helpers.js';
import { type MiniReplicate, startMiniReplicate } from './mini-replicate.js';

let mini: MiniReplicate | undefined;
afterEach(async () => {
  await mini?.close();
  mini = undefined;
});

function context(api: string, time = createFakeTime()) {
  const redact = createRedactor([CANARY]);
  const ctx: ProviderContext = {
    sdk: createSdkClient({
      token: CANARY,
      baseUrl: api,
      fetch: (i, init) => fetch(i, init),
      redact,
      clock: time.clock,
      requestTimeoutMs: 10_000,
    }),
    baseUrl: api,
    time,
    redact,
    limiter: createRateLimiter({ perMinute: 600, time }),
    maxAttempts: 6,
    warn: () => undefined,
  };
  return { ctx, time };
}

function seed(
  m: MiniReplicate,
  id: string,
  create: Record<string, unknown>,
  plan: Array<Record<string, unknown>>,
) {
  const body = { id, model: 'o/n', status: 'starting', input: {}, ...create };
  m.predictions.set(id, { body, plan, gets: 0, createdAt: Date.now() });
  return body as unknown as Prediction;
}

describe('pollDelay', () => {
  it('starts at 250 ms, grows ×1.5, caps at 5 s, jitters ±20 %', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3].map((n) => pollDelay(n, mid))).toEqual([250, 375, 563, 844]);
    expect(pollDelay(30, mid)).toBe(5000);
    expect(pollDelay(0, () => 0)).toBe(200);
    expect(pollDelay(0, () => 0.9999)).toBeLessThanOrEqual(300);
  });
});

describe('waitForPrediction', () => {
  it('polls a create that ended in processing, with growing gaps, until it succeeds', async () => {
    mini = await startMiniReplicate();
    const { ctx, time } = context(mini.api);
    const plan = [
      ...Array.from({ length: 6 }, () => ({ status: 'processing' })),
      { status: 'succeeded', output: ['x'] },
    ];
    const initial = seed(mini, 'p1', { status: 'processing', output: ['partial'] }, plan);
    const done = await waitForPrediction(
      ctx,
      initial,
      { signal: new AbortController().signal },
      { model: 'o/n' },
    );
    expect(done.status).toBe('succeeded');
    expect(mini.server.count('GET', '/v1/predictions/p1')).toBe(7);
    for (let i = 1; i < time.sleeps.length; i++) {
      expect(time.sleeps[i]).toBeGreaterThan(time.sleeps[i - 1] ?? 0);
    }
    expect(time.sleeps[0]).toBe(250);
  });

  it('reports starting, booting after 5 s of starting, then processing, and new log text', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    const plan = [
      ...Array.from({ length: 8 }, () => ({ status: 'starting' })),
      { status: 'processing', logs: 'step 1\n' },
      { status: 'processing', logs: 'step 1\nstep 2\n' },
      { status: 'succeeded', logs: 'step 1\nstep 2\n' },
    ];
    const initial = seed(mini, 'p2', {}, plan);
    const events: ProviderEvent[] = [];
    await waitForPrediction(
      ctx,
      initial,
      { signal: new AbortController().signal, onEvent: (e) => events.push(e) },
      { model: 'o/n' },
    );
    const statuses = events.filter((e) => e.type === 'status').map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(['starting', 'booting', 'processing']);
    expect(events.filter((e) => e.type === 'log').map((e) => (e as { text: string }).text)).toEqual([
      'step 1\n',
      'step 2\n',
    ]);
  });

  it('treats aborted as terminal (the SDK would poll it forever)', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    const initial = seed(mini, 'p3', {}, [{ status: 'starting' }, { status: 'aborted' }]);
    const done = await waitForPrediction(
      ctx,
      initial,
      { signal: new AbortController().signal },
      { model: 'o/n' },
    );
    expect(done.status).toBe('aborted');
    expect(mini.server.count('GET', '/v1/predictions/p3')).toBe(2);
  });

  it('times out at the deadline with a clear error', async () => {
    mini = await startMiniReplicate();
    const { ctx, time } = context(mini.api);
    const initial = seed(mini, 'p4', {}, [{ status: 'processing' }]);
    const err = await waitForPrediction(
      ctx,
      initial,
      { signal: new AbortController().signal, deadline: time.clock() + 20_000 },
      { model: 'o/n', predictionId: 'p4', label: { recipe: 'r', asset: 'mug', step: 'draft' } },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).code).toBe('REPLICATE_TIMEOUT');
    expect((err as Error).message).toContain('timed out');
    expect((err as Error).message).toContain('p4');
    expect((err as Error).message).toContain('mug');
    const total = time.sleeps.reduce((a, b) => a + b, 0);
    expect(total).toBe(20_000);
  });
});
