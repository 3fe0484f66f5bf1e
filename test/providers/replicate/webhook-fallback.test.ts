/**
 * Webhooks fall back in time: when no delivery comes, polling starts at about the prediction's expected
 * end (the default, then what this run observed), not minutes later; a delivery that comes in while
 * polling still ends the wait. On a fake clock that moves only when the provider sleeps, so the times
 * below are exact.
 */
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import {
  createDurationBook,
  predictionDurationMs,
  webhookWaitMs,
} from '../../../src/providers/replicate/expected-duration.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import type { Prediction } from '../../../src/providers/replicate/prediction.js';
import { CANARY, createFakeTime, png, tempDir } from './helpers.js';
import { type MiniReplicate, startMiniReplicate } from './mini-replicate.js';
import { TEST_PRICES } from './test-prices.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SCHNELL = 'black-forest-labs/flux-schnell';
const catalog = createCatalog();
const iso = (ms: number) => new Date(ms).toISOString();

describe('expected durations', () => {
  it('start from the catalog (typical time, or a default by kind), then follow the observed p90', () => {
    const book = createDurationBook();
    expect(book.expectedMs(SCHNELL, catalog.get(SCHNELL))).toBe(15_000);
    expect(
      book.expectedMs(
        'nightmareai/real-esrgan',
        catalog.get('nightmareai/real-esrgan'),
        TEST_PRICES['nightmareai/real-esrgan'],
      ),
    ).toBe(13_000);
    // No price, so no typical time: the default by kind.
    expect(book.expectedMs('nightmareai/real-esrgan', catalog.get('nightmareai/real-esrgan'))).toBe(15_000);
    expect(
      book.expectedMs('meta/meta-llama-3-70b-instruct', catalog.get('meta/meta-llama-3-70b-instruct')),
    ).toBe(30_000);
    const t0 = Date.UTC(2025, 0, 15);
    for (let i = 1; i <= 10; i++) {
      book.record(SCHNELL, {
        id: `p${i}`,
        status: 'succeeded',
        created_at: iso(t0),
        completed_at: iso(t0 + i * 1000),
      } as Prediction);
    }
    book.record(SCHNELL, {
      id: 'f',
      status: 'failed',
      created_at: iso(t0),
      completed_at: iso(t0 + 99_000),
    } as Prediction);
    expect(book.expectedMs(SCHNELL, catalog.get(SCHNELL))).toBe(9_000);
    expect(predictionDurationMs({ id: 'm', status: 'succeeded', metrics: { predict_time: 2.5 } })).toBe(2500);
  });

  it('wait for the webhook until the expected end, less what already ran, whatever the clocks say', () => {
    const now = Date.UTC(2025, 0, 15, 12);
    const created = (ms: number) => ({ id: 'p', status: 'processing', created_at: iso(ms) }) as Prediction;
    // 25 s expected: 25 × 1.2 + 2 = 32 s.
    expect(webhookWaitMs(25_000, created(now), now, now)).toBe(32_000);
    // The create held 20 s (Prefer: wait): 12 s left.
    expect(webhookWaitMs(25_000, created(now - 20_000), now - 20_000, now)).toBe(12_000);
    // The server's clock runs an hour ahead, or behind: our own clock bounds the elapsed time.
    expect(webhookWaitMs(25_000, created(now + 3_600_000), now - 20_000, now)).toBe(32_000);
    expect(webhookWaitMs(25_000, created(now - 3_600_000), now - 20_000, now)).toBe(12_000);
    expect(webhookWaitMs(25_000, created(now - 90_000), now - 90_000, now)).toBe(0);
  });
});

describe('provider: lost webhooks', () => {
  let mini: MiniReplicate | undefined;
  afterEach(async () => {
    await mini?.close();
    mini = undefined;
  });

  async function setup(plan: (createdAt: number) => Array<Record<string, unknown>>) {
    const time = createFakeTime(Date.now());
    const image = await png(8, 8);
    let url = '';
    mini = await startMiniReplicate({
      clock: time.clock,
      script: () => ({ create: { status: 'starting' }, plan: plan(time.clock()) }),
    });
    url = mini.addFile('w.png', image, 'image/png');
    const warnings: string[] = [];
    const provider = createReplicateProvider({
      token: CANARY,
      baseUrl: mini.api,
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
      webhook: { url: 'https://hooks.example/replicate', secret: SECRET },
      onWarning: (m) => warnings.push(m),
    });
    return { time, provider, warnings, url: () => url };
  }

  it('polls at the expected end: 20 s for a first flux prediction, then 32 s once 25 s were observed', async () => {
    const dir = await tempDir();
    const s = await setup((createdAt) => [
      // The prediction took 25 s by the server's clock; polling finds it done.
      {
        status: 'succeeded',
        output: [s.url()],
        metrics: { image_count: 1 },
        completed_at: iso(createdAt + 25_000),
      },
    ]);
    try {
      const took: number[] = [];
      for (const prompt of ['first', 'second']) {
        const started = s.time.clock();
        const result = await s.provider.predict({
          model: SCHNELL,
          catalog: catalog.get(SCHNELL) as never,
          input: { prompt },
          workDir: dir.path,
          taskKey: prompt,
          label: { recipe: 'r', asset: prompt, step: 's' },
          signal: new AbortController().signal,
        });
        expect(result.files).toHaveLength(1);
        took.push(s.time.clock() - started);
      }
      // The webhook wait, then the first poll gap (250 ms). Before: 30 s × 2 + 60 s = 120 s of waiting.
      expect(s.time.sleeps).toContain(20_000);
      expect(s.time.sleeps).toContain(32_000);
      expect(took).toEqual([20_250, 32_250]);
      expect(s.warnings.filter((w) => w.includes('no webhook'))).toHaveLength(2);
    } finally {
      await s.provider.close?.();
      await dir.remove();
    }
  });

  it('a delivery that comes in after polling began ends the wait', async () => {
    const dir = await tempDir();
    const signer = new Webhook(SECRET);
    // The server keeps saying `processing`: only the webhook can end this.
    const s = await setup(() => [{ status: 'processing' }]);
    let port = 0;
    const deliverLate = (warning: string) => {
      const id = /no webhook for (\S+)/.exec(warning)?.[1];
      if (!id) return;
      const body = JSON.stringify({
        id,
        status: 'succeeded',
        output: [s.url()],
        metrics: { image_count: 1 },
      });
      const at = new Date();
      void fetch(`http://127.0.0.1:${port}/`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': `msg_${id}`,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(`msg_${id}`, at, body),
        },
        body,
      });
    };
    const provider = createReplicateProvider({
      token: CANARY,
      baseUrl: mini?.api ?? '',
      clock: s.time.clock,
      sleep: s.time.sleep,
      random: () => 0.5,
      stepTimeoutMs: 3_600_000,
      webhook: {
        url: 'https://hooks.example/replicate',
        secret: SECRET,
        listen: { port: await freePort().then((p) => (port = p)) },
      },
      onWarning: deliverLate,
    });
    try {
      const result = await provider.predict({
        model: SCHNELL,
        catalog: catalog.get(SCHNELL) as never,
        input: { prompt: 'late' },
        workDir: dir.path,
        taskKey: 'late',
        label: { recipe: 'r', asset: 'late', step: 's' },
        signal: new AbortController().signal,
      });
      expect(result.files).toHaveLength(1);
      expect(mini?.server.count('GET', /^\/v1\/predictions\/p/)).toBeGreaterThan(0);
    } finally {
      await provider.close?.();
      await s.provider.close?.();
      await dir.remove();
    }
  });
});

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
