import { afterEach, describe, expect, it } from 'vitest';
import { createSdkClient } from '../../../src/providers/replicate/client.js';
import type { ProviderContext } from '../../../src/providers/replicate/context.js';
import { createPrediction, inputsMatch } from '../../../src/providers/replicate/create.js';
import { createRedactor } from '../../../src/providers/replicate/errors.js';
import { createRateLimiter } from '../../../src/providers/replicate/rate-limiter.js';
import { CANARY, createFakeTime } from './helpers.js';
import { type MiniReplicate, startMiniReplicate } from './mini-replicate.js';

let mini: MiniReplicate | undefined;
afterEach(async () => {
  await mini?.close();
  mini = undefined;
});

function context(api: string, time = createFakeTime()) {
  const redact = createRedactor([CANARY]);
  const warnings: string[] = [];
  const limiter = createRateLimiter({ perMinute: 600, time });
  const ctx: ProviderContext = {
    sdk: createSdkClient({
      token: CANARY,
      baseUrl: api,
      fetch: (i, init) => fetch(i, init),
      redact,
      clock: time.clock,
      requestTimeoutMs: 10_000,
      onCreateReply: (reply) => limiter.observe(reply),
    }),
    baseUrl: api,
    time,
    redact,
    limiter,
    maxAttempts: 6,
    warn: (m) => warnings.push(m),
  };
  return { ctx, time, warnings };
}

const errCtx = { model: 'black-forest-labs/flux-schnell' };
const input = { prompt: 'a mug', seed: 42, aspect_ratio: '1:1' };

function options(extra: Record<string, unknown> = {}) {
  return {
    model: 'black-forest-labs/flux-schnell',
    input,
    waitSeconds: 60,
    signal: new AbortController().signal,
    claimed: new Set<string>(),
    ...extra,
  };
}

describe('createPrediction', () => {
  it('sends Prefer: wait=N and Cancel-After, to the official-model route', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    const opts = options({ waitSeconds: 500, cancelAfterSeconds: 90 });
    const first = await createPrediction(ctx, opts, errCtx);
    const { prediction, adopted } = await createPrediction(ctx, opts, errCtx);
    expect(adopted).toBe(false);
    // The limiter's probe: the first create goes without Prefer, so its rate headers come back at once.
    expect(mini.server.requests[0]?.headers.prefer).toBeUndefined();
    expect(mini.server.requests[0]?.headers['cancel-after']).toBe('90s');
    expect(first.prediction.id).toMatch(/^p/);
    const req = mini.server.requests[1];
    expect(req?.path).toBe('/v1/models/black-forest-labs/flux-schnell/predictions');
    expect(req?.headers.prefer).toBe('wait=60');
    expect(req?.headers['cancel-after']).toBe('90s');
    expect(JSON.parse(req?.body.toString() ?? '{}')).toEqual({ input });
    expect(prediction.id).toMatch(/^p/);
  });

  it('community models go to POST /predictions with the version', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    await createPrediction(
      ctx,
      options({ model: 'nightmareai/real-esrgan', version: 'f'.repeat(64) }),
      errCtx,
    );
    const req = mini.server.requests[0];
    expect(req?.path).toBe('/v1/predictions');
    expect(JSON.parse(req?.body.toString() ?? '{}')).toEqual({ version: 'f'.repeat(64), input });
  });

  it('adopts the prediction after a connection reset that followed processing: no duplicate', async () => {
    mini = await startMiniReplicate({ pageSize: 2 });
    // Noise: other predictions, one with a different input, created earlier.
    const { ctx, warnings } = context(mini.api);
    await createPrediction(ctx, options({ input: { ...input, seed: 1 } }), errCtx);
    await createPrediction(ctx, options({ input: { ...input, seed: 2 } }), errCtx);
    await createPrediction(ctx, options({ input: { ...input, seed: 3 } }), errCtx);
    mini.createFaults.push({ kind: 'reset-after' });
    const before = mini.predictions.size;
    const { prediction, adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(true);
    expect(mini.predictions.size).toBe(before + 1);
    expect(mini.creates()).toBe(4);
    expect(prediction.input).toEqual(input);
    const lists = mini.server.requests.filter((r) => r.method === 'GET' && r.path === '/v1/predictions');
    expect(lists.length).toBeGreaterThanOrEqual(1);
    expect(warnings.join('\n')).toContain('adopted');
  });

  it('never adopts an identical prediction made before the create was sent: it creates again', async () => {
    mini = await startMiniReplicate();
    const { ctx, warnings } = context(mini.api);
    // The same input, run 10 s earlier (another run of the same recipe, say).
    const old = Date.now() - 10_000;
    mini.predictions.set('old', {
      body: {
        id: 'old',
        model: errCtx.model,
        input,
        status: 'succeeded',
        created_at: new Date(old).toISOString(),
      },
      plan: [],
      gets: 0,
      createdAt: old,
    });
    // The socket dies before the server reads the create: nothing was made, but the outcome is unknown.
    mini.createFaults.push({ kind: 'reset-before' });
    const { prediction, adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(false);
    expect(prediction.id).not.toBe('old');
    expect(mini.server.count('GET', '/v1/predictions')).toBe(1);
    expect(warnings.join('\n')).toContain('looking for it');
  });

  it.each([
    ['ahead of', 10 * 60_000],
    ['behind', -10 * 60_000],
  ])('adopts across a local clock 10 minutes %s the server (read from its Date header)', async (_, skew) => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api, createFakeTime(Date.now() + skew));
    mini.createFaults.push({ kind: 'reset-after' });
    const { adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(true);
    expect(mini.creates()).toBe(1);
  });

  it('walks absolute next pages to find it, and never adopts one already claimed', async () => {
    mini = await startMiniReplicate({ pageSize: 1 });
    const { ctx } = context(mini.api);
    mini.createFaults.push({ kind: 'reset-after' });
    const first = await createPrediction(ctx, options(), errCtx);
    expect(first.adopted).toBe(true);
    // Newer predictions of someone else (other inputs, and one made on the web) push ours to a later page.
    for (const [i, id] of ['n1', 'n2', 'n3'].entries()) {
      mini.predictions.set(id, {
        body: {
          id,
          model: errCtx.model,
          input: { prompt: `other ${i}` },
          status: 'starting',
          source: 'api',
          created_at: new Date(Date.now() + 10_000 + i).toISOString(),
        },
        plan: [],
        gets: 0,
        createdAt: Date.now() + 10_000 + i,
      });
    }
    mini.predictions.set('w1', {
      body: {
        id: 'w1',
        model: errCtx.model,
        input,
        status: 'starting',
        source: 'web',
        created_at: new Date(Date.now() + 20_000).toISOString(),
      },
      plan: [],
      gets: 0,
      createdAt: Date.now() + 20_000,
    });
    // A second identical task whose create also reset must find its own, not the first one's.
    const claimed = new Set<string>([first.prediction.id]);
    mini.createFaults.push({ kind: 'reset-after' });
    const second = await createPrediction(ctx, options({ claimed }), errCtx);
    expect(second.adopted).toBe(true);
    expect(second.prediction.id).not.toBe(first.prediction.id);
    expect(second.prediction.id).not.toBe('w1');
    expect(claimed.size).toBe(2);
    expect(mini.creates()).toBe(2);
    const lists = mini.server.requests.filter((r) => r.method === 'GET' && r.path === '/v1/predictions');
    expect(lists.filter((r) => r.url.searchParams.has('cursor')).length).toBeGreaterThanOrEqual(4);
  });

  it('creates again when a reset happened before the server processed it', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    mini.createFaults.push({ kind: 'reset-before' });
    const { adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(false);
    expect(mini.predictions.size).toBe(1);
    expect(mini.creates()).toBe(2);
  });

  it('treats a 5xx on create as unknown outcome and adopts instead of duplicating', async () => {
    mini = await startMiniReplicate();
    const { ctx } = context(mini.api);
    mini.createFaults.push({ kind: 'status-after', status: 502 });
    const { adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(true);
    expect(mini.predictions.size).toBe(1);
    expect(mini.creates()).toBe(1);
  });

  it('waits out a 429 (Retry-After: 2) on the fake clock, then creates once', async () => {
    const time = createFakeTime();
    mini = await startMiniReplicate({ clock: time.clock });
    const { ctx } = context(mini.api, time);
    mini.createFaults.push({ kind: 'throttle', retryAfter: '2' });
    const start = time.clock();
    const { adopted } = await createPrediction(ctx, options(), errCtx);
    expect(adopted).toBe(false);
    expect(mini.creates()).toBe(2);
    expect(mini.predictions.size).toBe(1);
    const [throttled, retried] = mini.server.requests;
    expect((retried?.at ?? 0) - (throttled?.at ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(time.clock() - start).toBeGreaterThanOrEqual(2000);
    // no list lookup for a 429: it was never processed
    expect(mini.server.count('GET', '/v1/predictions')).toBe(0);
    // A 429 without rate headers or a stated limit: the rate is halved, once.
    expect(ctx.limiter.currentPerMinute()).toBe(300);
  });

  it('honours the body retry_after too', async () => {
    const time = createFakeTime();
    mini = await startMiniReplicate({ clock: time.clock });
    const { ctx } = context(mini.api, time);
    mini.createFaults.push({ kind: 'throttle', bodyRetryAfter: 5 });
    await createPrediction(ctx, options(), errCtx);
    expect(time.sleeps.some((ms) => ms >= 5000)).toBe(true);
  });
});

describe('inputsMatch', () => {
  it('is deep equality after JSON normalisation; our data: URIs may come back as URLs', () => {
    expect(inputsMatch({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(inputsMatch({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(inputsMatch({ a: 1, u: undefined }, { a: 1 })).toBe(true);
    expect(inputsMatch({ seed: 1 }, { seed: 2 })).toBe(false);
    expect(inputsMatch({ image: 'data:image/png;base64,AAAA' }, { image: 'https://x/y.png' })).toBe(true);
    expect(inputsMatch({ image: 'https://x/a.png' }, { image: 'https://x/b.png' })).toBe(false);
    expect(
      inputsMatch({ image: 'data:image/png;base64,AAAA' }, { image: 'data:image/png;base64,BBBB' }),
    ).toBe(false);
  });
});
