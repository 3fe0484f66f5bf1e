/**
 * The provider against the project's fake Replicate server (test/fake-replicate): the same SDK paths,
 * faults injected by the fake, counts taken from it.
 */
import { setMaxListeners } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, ProviderError } from '../../../src/errors.js';
import { probeImage } from '../../../src/image/index.js';
import { createCatalog } from '../../../src/models/catalog.js';
import {
  createReplicateProvider,
  type ReplicateProviderOptions,
} from '../../../src/providers/replicate/index.js';
import type { PredictionRequest, ProviderEvent } from '../../../src/providers/types.js';
import {
  type FakeReplicate,
  type FakeReplicateOptions,
  type ReplyProfile,
  startFakeReplicate,
} from '../../fake-replicate/index.js';
import { CANARY, createScaledTime, type FakeTime, smallImageMaker, tempDir } from './helpers.js';
import { testPricing } from './test-prices.js';

const SCHNELL = 'black-forest-labs/flux-schnell';
const ESRGAN = 'nightmareai/real-esrgan';
const LLAMA = 'meta/meta-llama-3-70b-instruct';
const catalog = createCatalog();

let fake: FakeReplicate;
let dir: { path: string; remove: () => Promise<void> };
let events: ProviderEvent[];
let warnings: string[];
let time: FakeTime;
/** Every suite runs against both reply shapes: as recorded from the real service, and as documented. */
const PROFILES = ['recorded', 'documented'] as const satisfies ReplyProfile[];
let profile: ReplyProfile = 'recorded';

async function start(options: FakeReplicateOptions = {}) {
  fake = await startFakeReplicate({
    token: CANARY,
    profile,
    makeOutputs: smallImageMaker,
    behaviour: { runMs: 30 },
    ...options,
  });
}
beforeEach(async () => {
  dir = await tempDir();
  events = [];
  warnings = [];
  time = createScaledTime(0.05);
});
afterEach(async () => {
  await fake?.close();
  await dir.remove();
});

function provider(extra: Partial<ReplicateProviderOptions> = {}) {
  return createReplicateProvider({
    token: CANARY,
    baseUrl: fake.baseUrl,
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
    ...(entry && !entry.official ? { version: entry.version } : {}),
    input,
    workDir: dir.path,
    taskKey: 'k',
    label: { recipe: 'products', asset: 'mug', step: 'draft' },
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

describe.each(PROFILES)('replicate provider against the fake Replicate (%s replies)', (current) => {
  beforeEach(() => {
    profile = current;
  });
  it('runs flux-schnell: one create, every image downloaded and decodable, cost from image_count', async () => {
    await start();
    const result = await provider().predict(request(SCHNELL, { prompt: 'a mug', num_outputs: 2 }));
    expect(fake.counts.create).toBe(1);
    expect(result.files).toHaveLength(2);
    for (const file of result.files)
      expect(await probeImage(file.path)).toMatchObject({ width: 24, height: 16 });
    expect(result.actualUsd).toBeCloseTo(2 * 0.003, 9);
    expect(events[0]).toMatchObject({ type: 'prediction-created' });
  });

  it('reports the model done, with its cost, before fetching any output', async () => {
    await start();
    const seen: { downloads: number; actualUsd: number | null }[] = [];
    const result = await provider().predict(
      request(
        SCHNELL,
        { prompt: 'p', num_outputs: 2 },
        {
          onModelDone: async (done) => {
            seen.push({ downloads: fake.counts.download, actualUsd: done.actualUsd });
          },
        },
      ),
    );
    expect(seen).toEqual([{ downloads: 0, actualUsd: result.actualUsd }]);
    expect(result.actualUsd).toBeGreaterThan(0);
    expect(fake.counts.download).toBe(2);
  });

  it('16 predictions at once on one provider raise no listener-leak warning', async () => {
    await start();
    const processWarnings: string[] = [];
    const onWarning = (warning: Error) => processWarnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      // The runner's signal, as runPlan makes it: shared by every task, its own warning lifted.
      const shared = new AbortController().signal;
      setMaxListeners(0, shared);
      const p = provider();
      const results = await Promise.all(
        Array.from({ length: 16 }, async (_, i) => {
          const workDir = join(dir.path, `task-${i}`);
          await mkdir(workDir);
          return p.predict(
            request(SCHNELL, { prompt: `mug ${i}` }, { taskKey: `k${i}`, signal: shared, workDir }),
          );
        }),
      );
      expect(results).toHaveLength(16);
      expect(fake.counts.create).toBe(16);
      // Node reports the warning on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
      expect(processWarnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a connection reset after the create was processed does not make a second prediction', async () => {
    await start({ faults: [{ on: 'create', fault: { type: 'reset-after' } }] });
    const result = await provider().predict(request(SCHNELL, { prompt: 'once only', seed: 7 }));
    expect(fake.predictions.size).toBe(1);
    expect(fake.counts.create).toBe(1);
    expect(fake.counts.list).toBeGreaterThanOrEqual(1);
    expect(result.predictionId).toBe(fake.predictions.list()[0]?.id);
    expect(result.files).toHaveLength(1);
  });

  it('a 429 with Retry-After: 2 is waited out on the provider clock', async () => {
    await start({ faults: [{ on: 'create', fault: { type: 'rate-limit', retryAfter: 2 } }] });
    const t0 = time.clock();
    await provider().predict(request(SCHNELL, { prompt: 'throttled' }));
    expect(fake.counts.create).toBe(2);
    expect(fake.predictions.size).toBe(1);
    expect(time.sleeps.some((ms) => ms >= 2000)).toBe(true);
    expect(time.clock() - t0).toBeGreaterThanOrEqual(2000);
  });

  it('a create whose wait window ends in processing is polled, with growing gaps', async () => {
    await start({ behaviour: { runMs: 400 }, maxWaitMs: 20 });
    const result = await provider().predict(request(SCHNELL, { prompt: 'slow' }));
    expect(result.files).toHaveLength(1);
    expect(fake.counts.get).toBeGreaterThanOrEqual(2);
    const gaps = time.sleeps.slice(0, 4);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThan(gaps[i - 1] ?? 0);
  });

  it('a failed prediction raises a ProviderError with model, prediction id and the model error', async () => {
    await start({
      models: { [SCHNELL]: { failure: { always: true, error: 'NSFW content detected (E005)' } } },
    });
    const err = (await provider()
      .predict(request(SCHNELL, { prompt: 'x' }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    const id = String(fake.predictions.list()[0]?.id);
    expect(err.message).toContain(SCHNELL);
    expect(err.message).toContain(id);
    expect(err.message).toContain('NSFW content detected (E005)');
    expect(err.message).not.toContain(CANARY);
  });

  it('an invalid input (422) fails at once, naming the phase, status, step and detail', async () => {
    await start();
    const err = (await provider()
      .predict(request(SCHNELL, { prompt: 'x', num_outputs: 9 }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.code).toBe('REPLICATE_HTTP_422');
    expect(err.message).toContain('creating the prediction failed');
    expect(err.message).toContain('num_outputs');
    expect(err.message).toContain('[HTTP 422]');
    expect(err.message).toContain('step "draft"');
    expect(err.retryable).toBe(false);
    expect(fake.counts.create).toBe(1);
    expect(fake.predictions.size).toBe(0);
  });

  it('aborting the signal cancels the prediction on the server', async () => {
    await start({ behaviour: { runMs: 60_000 }, maxWaitMs: 10 });
    const controller = new AbortController();
    const err = await provider()
      .predict(
        request(
          SCHNELL,
          { prompt: 'forever' },
          {
            signal: controller.signal,
            onEvent: (e) => {
              if (e.type === 'prediction-created') setTimeout(() => controller.abort(), 20);
            },
          },
        ),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(fake.counts.cancel).toBe(1);
    expect(fake.predictions.list()[0]?.status).toBe('canceled');
  });

  it('a truncated download is retried; an expired output URL is a clear error', async () => {
    await start({ faults: [{ on: 'download', fault: { type: 'truncate' } }] });
    const ok = await provider().predict(request(SCHNELL, { prompt: 'cut' }));
    expect(ok.files).toHaveLength(1);
    expect(fake.counts.download).toBe(2);
    fake.faults.add({ on: 'download', fault: { type: 'expired' } });
    const err = (await provider()
      .predict(request(SCHNELL, { prompt: 'late' }, { workDir: join(dir.path) }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(err.code).toBe('REPLICATE_OUTPUT_EXPIRED');
    expect(err.message).toContain('expired');
  });

  it('streams the language model: tokens in order, the joined text, token cost', async () => {
    await start({ behaviour: { runMs: 200 } });
    const result = await provider().predict(request(LLAMA, { prompt: 'describe a mug' }));
    const tokens = events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text);
    expect(tokens.length).toBeGreaterThan(3);
    expect(tokens.join('')).toBe('A glazed mug, photographed on seamless white.');
    expect(result.text).toBe('A glazed mug, photographed on seamless white.');
    expect(fake.counts.stream).toBe(1);
    expect(result.actualUsd).toBeGreaterThan(0);
  });

  it('a language model offered no stream is polled to its text', async () => {
    await start({ behaviour: { runMs: 200 }, models: { [LLAMA]: { stream: false } } });
    const result = await provider().predict(request(LLAMA, { prompt: 'describe a mug' }));
    expect(fake.counts.stream).toBe(0);
    expect(fake.counts.get).toBeGreaterThanOrEqual(1);
    expect(result.text).toBe('A glazed mug, photographed on seamless white.');
    // The whole text still reaches the progress output, once.
    const tokens = events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text);
    expect(tokens.join('')).toBe(result.text);
  });

  it('a stream that breaks off mid-way: the tokens so far, then polling for the rest, each token once', async () => {
    await start({ behaviour: { runMs: 300 } });
    fake.faults.add({ on: 'stream', fault: { type: 'truncate', bytes: 120 } });
    const result = await provider().predict(request(LLAMA, { prompt: 'describe a mug' }));
    expect(fake.counts.stream).toBe(1);
    expect(fake.counts.get).toBeGreaterThanOrEqual(1);
    expect(result.text).toBe('A glazed mug, photographed on seamless white.');
    const tokens = events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text);
    expect(tokens.length).toBeGreaterThan(1);
    expect(tokens.join('')).toBe(result.text);
    expect(warnings.join('\n')).toContain('broke off; polling instead');
  });

  it('uploads an input over 256 KB and sends a small one inline', async () => {
    await start();
    const big = await sharp({ create: { width: 400, height: 400, channels: 3, background: '#888' } })
      .png({ compressionLevel: 0 })
      .toBuffer();
    const small = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    expect(big.length).toBeGreaterThan(256 * 1024);
    await writeFile(join(dir.path, 'in-big.png'), big);
    await writeFile(join(dir.path, 'in-small.png'), small);
    const file = (name: string, bytes: number) =>
      ({ kind: 'file', path: join(dir.path, name), sha256: name, bytes, contentType: 'image/png' }) as const;
    await provider().predict(request(ESRGAN, { image: file('in-big.png', big.length), scale: 2 }));
    expect(fake.counts.fileUpload).toBe(1);
    await provider().predict(request(ESRGAN, { image: file('in-small.png', small.length), scale: 2 }));
    expect(fake.counts.fileUpload).toBe(1);
    const inputs = fake.predictions.list().map((p) => (p.input as { image: string }).image);
    expect(inputs.some((v) => v.includes('/files/'))).toBe(true);
  });
});

describe.each(PROFILES)('webhooks through the fake (%s replies)', (current) => {
  beforeEach(() => {
    profile = current;
  });
  it('uses a delivered webhook, rejects a forged copy, and covers a dropped one by polling', async () => {
    // Predictions outlast the create's wait window, so the webhook (or polling) has to finish them.
    await start({
      behaviour: { runMs: 100 },
      maxWaitMs: 10,
      faults: [
        { on: 'webhook', fault: { type: 'forge' }, event: 'completed' },
        { on: 'webhook', fault: { type: 'drop' }, event: 'completed', nth: 2 },
      ],
    });
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const p = createReplicateProvider({
      token: CANARY,
      baseUrl: fake.baseUrl,
      webhook: { url: `http://127.0.0.1:${port}/hook`, listen: { port }, fallbackMs: 400 },
      onWarning: (m) => warnings.push(m),
    });
    try {
      const first = await p.predict(request(SCHNELL, { prompt: 'hooked' }));
      expect(first.files).toHaveLength(1);
      await fake.webhooks.idle();
      const forged = fake.webhooks.attempts.filter((a) => a.forged);
      expect(forged.length).toBeGreaterThan(0);
      expect(forged.every((a) => a.status === 401)).toBe(true);
      expect(fake.counts.get).toBe(0);
      const gets = fake.counts.get;
      const second = await p.predict(request(SCHNELL, { prompt: 'dropped' }));
      expect(second.files).toHaveLength(1);
      expect(fake.counts.get).toBeGreaterThan(gets);
      expect(warnings.join('\n')).toContain('no webhook');
      expect(fake.counts.webhookSecret).toBe(1);
    } finally {
      await p.close?.();
    }
  });
});
