import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, ProviderError } from '../../../src/errors.js';
import { createCatalog } from '../../../src/models/catalog.js';
import {
  createReplicateProvider,
  type ReplicateProviderOptions,
} from '../../../src/providers/replicate/index.js';
import type { PredictionRequest, ProviderEvent } from '../../../src/providers/types.js';
import { CANARY, createFakeTime, png, tempDir } from './helpers.js';
import { type MiniOptions, type MiniReplicate, sse, startMiniReplicate } from './mini-replicate.js';
import { testPricing } from './test-prices.js';

const catalog = createCatalog();
let mini: MiniReplicate;
let dir: { path: string; remove: () => Promise<void> };
let warnings: string[];
let events: ProviderEvent[];

async function start(options: MiniOptions = {}) {
  mini = await startMiniReplicate(options);
}
beforeEach(async () => {
  dir = await tempDir();
  warnings = [];
  events = [];
});
afterEach(async () => {
  await mini?.close();
  await dir.remove();
});

function provider(extra: Partial<ReplicateProviderOptions> = {}) {
  const time = createFakeTime();
  return createReplicateProvider({
    token: CANARY,
    baseUrl: mini.api,
    clock: time.clock,
    sleep: time.sleep,
    random: time.random,
    onWarning: (m) => warnings.push(m),
    ...extra,
  });
}

function request(
  model: string,
  input: Record<string, unknown>,
  extra: Partial<PredictionRequest> = {},
): PredictionRequest {
  const entry = catalog.get(model);
  return {
    model,
    ...(entry ? { catalog: entry } : {}),
    ...testPricing(model),
    input,
    workDir: dir.path,
    taskKey: 'task-1',
    label: { recipe: 'products', asset: 'mug', step: 'draft' },
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

/** Everything a run could leak through: messages, events, warnings and the files written. */
async function leaks(...texts: string[]): Promise<boolean> {
  const files = await readdir(dir.path);
  const contents = await Promise.all(files.map((f) => readFile(join(dir.path, f), 'latin1')));
  return [...texts, ...warnings, JSON.stringify(events), ...contents].some((t) => t.includes(CANARY));
}

describe('replicate provider', () => {
  it('refuses to start without a token (the SDK would read the environment instead)', () => {
    expect(() => createReplicateProvider({ token: '' })).toThrow(
      'expected a non-empty API token for the Replicate provider but received "" of type string',
    );
  });

  it('runs an official image model: polls past processing, downloads every image, costs image_count', async () => {
    const images = [await png(64, 64), await png(32, 48)];
    let urls: string[] = [];
    await start({
      script: () => ({
        create: { status: 'processing', output: [urls[0]] },
        plan: [
          { status: 'processing' },
          { status: 'succeeded', output: urls, metrics: { image_count: 2, predict_time: 0.8 } },
        ],
      }),
    });
    urls = images.map((b, i) => mini.addFile(`out-${i}.webp`, b, 'image/png'));
    const result = await provider().predict(
      request('black-forest-labs/flux-schnell', { prompt: 'a mug', num_outputs: 2 }),
    );
    expect(mini.creates()).toBe(1);
    expect(mini.server.count('GET', /^\/v1\/predictions\/p/)).toBe(2);
    expect(result.files.map((f) => f.path.split('/').pop())).toEqual(['out-0.png', 'out-1.png']);
    expect(result.files.map((f) => f.bytes)).toEqual(images.map((b) => b.length));
    expect(result.actualUsd).toBeCloseTo(0.006, 9);
    expect(result.metrics).toEqual({ image_count: 2, predict_time: 0.8 });
    expect(result.predictionId).toMatch(/^p/);
    expect(events[0]).toEqual({ type: 'prediction-created', predictionId: result.predictionId });
    expect(events).toContainEqual({
      type: 'status',
      status: 'processing',
      predictionId: result.predictionId,
    });
    expect(await leaks()).toBe(false);
  });

  it('community model: resolves the latest version, posts it, costs predict_time × hardware', async () => {
    const image = await png(40, 40);
    let url = '';
    await start({
      script: () => ({ create: { status: 'succeeded', output: url, metrics: { predict_time: 2 } } }),
    });
    url = mini.addFile('up.png', image, 'image/png');
    const p = provider();
    expect(await p.resolveVersion?.('nightmareai/real-esrgan', new AbortController().signal)).toBe(
      'a'.repeat(64),
    );
    expect(
      await p.resolveVersion?.('black-forest-labs/flux-schnell', new AbortController().signal),
    ).toBeUndefined();
    const entry = catalog.get('nightmareai/real-esrgan');
    const result = await p.predict(
      request(
        'nightmareai/real-esrgan',
        { image: 'https://x/y.png', scale: 2 },
        { version: entry?.version ?? '' },
      ),
    );
    const create = mini.server.requests.find((r) => r.method === 'POST');
    expect(create?.path).toBe('/v1/predictions');
    expect(JSON.parse(create?.body.toString() ?? '{}').version).toBe(entry?.version);
    expect(result.version).toBe(entry?.version);
    expect(result.files).toHaveLength(1);
    expect(result.actualUsd).toBeCloseTo(2 * 0.000225, 12);
  });

  it('a failed prediction raises a ProviderError naming model, step, asset, prediction id and the model error', async () => {
    await start({
      script: () => ({
        create: { status: 'starting' },
        plan: [{ status: 'processing' }, { status: 'failed', error: `CUDA out of memory (token ${CANARY})` }],
      }),
    });
    const err = await provider()
      .predict(request('black-forest-labs/flux-schnell', { prompt: 'x' }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    const e = err as ProviderError;
    expect(e.code).toBe('REPLICATE_PREDICTION_FAILED');
    expect(e.message).toContain('black-forest-labs/flux-schnell');
    expect(e.message).toContain('CUDA out of memory');
    expect(e.message).toContain('asset "mug"');
    expect(e.message).toContain('step "draft"');
    const id = [...mini.predictions.keys()][0] ?? '';
    expect(e.message).toContain(id);
    expect(e.details.predictionId).toBe(id);
    expect(await leaks(e.message, JSON.stringify(e.details))).toBe(false);
  });

  it('aborting the signal cancels the in-flight prediction on the server', async () => {
    await start({ script: () => ({ create: { status: 'starting' }, plan: [{ status: 'processing' }] }) });
    const controller = new AbortController();
    let gets = 0;
    const err = await provider()
      .predict(
        request(
          'black-forest-labs/flux-schnell',
          { prompt: 'x' },
          {
            signal: controller.signal,
            onEvent: (e) => {
              events.push(e);
              if (e.type === 'status' && e.status === 'processing' && ++gets === 1) controller.abort();
            },
          },
        ),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(mini.server.count('POST', /\/cancel$/)).toBe(1);
    expect([...mini.predictions.values()][0]?.body.status).toBe('canceled');
  });

  it('close() cancels every in-flight prediction', async () => {
    await start({ script: () => ({ create: { status: 'starting' }, plan: [{ status: 'processing' }] }) });
    const time = createFakeTime();
    // real-ish sleep so the tasks stay in flight until close(); the clock moves by what was asked
    const p = provider({
      clock: time.clock,
      sleep: (ms, signal) =>
        new Promise((resolve, reject) => {
          time.advance(ms);
          const t = setTimeout(resolve, Math.min(ms, 20));
          signal?.addEventListener(
            'abort',
            () => {
              clearTimeout(t);
              reject(new CancelledError());
            },
            { once: true },
          );
        }),
    });
    const running = [1, 2].map((seed) =>
      p.predict(request('black-forest-labs/flux-schnell', { prompt: 'x', seed })).catch((e: unknown) => e),
    );
    while (mini.predictions.size < 2 || events.filter((e) => e.type === 'prediction-created').length < 2) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await p.close?.();
    const results = await Promise.all(running);
    expect(results.every((r) => r instanceof CancelledError)).toBe(true);
    expect(mini.server.count('POST', /\/cancel$/)).toBe(2);
    expect([...mini.predictions.values()].every((x) => x.body.status === 'canceled')).toBe(true);
  });

  it('times out at stepTimeoutMs: Cancel-After sent, prediction cancelled, clear error', async () => {
    await start({ script: () => ({ create: { status: 'starting' }, plan: [{ status: 'starting' }] }) });
    const err = await provider({ stepTimeoutMs: 30_000 })
      .predict(request('black-forest-labs/flux-schnell', { prompt: 'x' }))
      .catch((e: unknown) => e);
    expect((err as ProviderError).code).toBe('REPLICATE_TIMEOUT');
    expect(mini.server.requests[0]?.headers['cancel-after']).toBe('30s');
    expect(mini.server.count('POST', /\/cancel$/)).toBe(1);
    expect(events.some((e) => e.type === 'status' && e.status === 'booting')).toBe(true);
  });

  it('inputs over 256 KB are uploaded through the files API, smaller ones sent as data URIs', async () => {
    const out = await png(8, 8);
    let url = '';
    await start({
      script: () => ({ create: { status: 'succeeded', output: url, metrics: { predict_time: 1 } } }),
    });
    url = mini.addFile('o.png', out, 'image/png');
    const big = Buffer.alloc(300 * 1024, 1);
    const small = await png(16, 16);
    await writeFile(join(dir.path, 'big.png'), big);
    await writeFile(join(dir.path, 'small.png'), small);
    const file = (name: string, bytes: number) =>
      ({ kind: 'file', path: join(dir.path, name), sha256: name, bytes, contentType: 'image/png' }) as const;
    await provider().predict(
      request('nightmareai/real-esrgan', { image: file('big.png', big.length) }, { version: 'b'.repeat(64) }),
    );
    await provider().predict(
      request(
        'nightmareai/real-esrgan',
        { image: file('small.png', small.length) },
        { version: 'b'.repeat(64) },
      ),
    );
    expect(mini.uploads).toHaveLength(1);
    const upload = mini.server.requests.find((r) => r.path === '/v1/files');
    expect(upload?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(upload?.body.includes(big.subarray(0, 1024))).toBe(true);
    expect(upload?.body.toString('latin1')).toContain('filename="big.png"');
    const creates = mini.server.requests.filter((r) => r.path === '/v1/predictions' && r.method === 'POST');
    expect(JSON.parse(creates[0]?.body.toString() ?? '{}').input.image).toBe(`${mini.api}/files/f1`);
    expect(JSON.parse(creates[1]?.body.toString() ?? '{}').input.image).toBe(
      `data:image/png;base64,${small.toString('base64')}`,
    );
    for (const r of mini.server.requests) expect(r.body.toString('latin1')).not.toContain(CANARY);
  });

  it('streams a language model: tokens in order, final text joined', async () => {
    const tokens = ['A', ' glazed', ' mug', ' on', ' white.'];
    await start({
      script: () => ({
        create: { status: 'starting' },
        plan: [
          { status: 'succeeded', output: tokens, metrics: { input_token_count: 10, output_token_count: 5 } },
        ],
      }),
    });
    mini.streams.set('*', {
      events: [...tokens.map((t, i) => sse('output', t, `1:${i}`)), sse('done', '{}', '1:9')],
    });
    const result = await provider().predict(
      request('meta/meta-llama-3-70b-instruct', { prompt: 'describe a mug' }),
    );
    expect(events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text)).toEqual(tokens);
    expect(result.text).toBe(tokens.join(''));
    expect(result.files).toEqual([]);
    expect(result.actualUsd).toBeCloseTo(10 * 6.5e-7 + 5 * 2.75e-6, 12);
  });

  it('falls back to polling when the token stream breaks, emitting the missing text once', async () => {
    const tokens = ['one', ' two', ' three', ' four'];
    await start({
      script: () => ({
        create: { status: 'processing' },
        plan: [{ status: 'processing' }, { status: 'succeeded', output: tokens }],
      }),
    });
    mini.streams.set('*', { events: tokens.map((t, i) => sse('output', t, `1:${i}`)), breakAfter: 2 });
    const result = await provider().predict(request('meta/meta-llama-3-70b-instruct', { prompt: 'count' }));
    const texts = events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text);
    expect(texts.join('')).toBe(tokens.join(''));
    expect(texts.slice(0, 2)).toEqual(['one', ' two']);
    expect(result.text).toBe('one two three four');
    expect(warnings.join('\n')).toContain('broke off');
  });

  it('never shows the token: logs, errors, warnings and files are scrubbed', async () => {
    await start({
      script: () => ({
        create: { status: 'processing', logs: `using key ${CANARY}\n` },
        plan: [
          {
            status: 'failed',
            logs: `using key ${CANARY}\nboom ${CANARY}\n`,
            error: `bad auth Bearer ${CANARY}`,
          },
        ],
      }),
    });
    const err = (await provider()
      .predict(request('black-forest-labs/flux-schnell', { prompt: 'x' }))
      .catch((e: unknown) => e)) as Error;
    expect(events.some((e) => e.type === 'log')).toBe(true);
    expect(err.message).toContain('[redacted]');
    expect(await leaks(err.message, String(err.stack))).toBe(false);
  });
});
