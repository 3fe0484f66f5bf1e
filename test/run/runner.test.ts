import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan, type Plan } from '../../src/plan/plan.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { RunEvent } from '../../src/run/events.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { createTestProvider } from '../helpers/test-provider.js';

const catalog = createCatalog();

function planOf(assets: number, extra = ''): Plan {
  const ids = Array.from({ length: assets }, (_, i) => `  - id: a${i}`).join('\n');
  const text = `name: t
${extra}assets:
${ids}
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "thing {{ id }}" }
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 2 }
outputs:
  - path: "{{ id }}.png"
`;
  return createPlan([parseRecipeText(text, 'test.yaml', { catalog })], catalog);
}

describe('runner', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-runner-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('never runs more paid tasks at once than the remote limit', async () => {
    const test = createTestProvider({ delayMs: () => 20 });
    await runPlan(planOf(12), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 3 },
    });
    expect(test.calls).toHaveLength(24);
    expect(test.maxActive()).toBe(3);
  });

  it('hands the remote slot back when the model is done, before its outputs are fetched', async () => {
    const test = createTestProvider({ delayMs: () => 10, downloadMs: 60 });
    await runPlan(planOf(6), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 2 },
    });
    expect(test.calls).toHaveLength(12);
    expect(test.maxActive()).toBe(2);
    // Slow fetches overlap the next predictions instead of holding their slots.
    expect(test.maxOpen()).toBeGreaterThan(2);
    expect(test.maxFetching()).toBe(2); // transfers: by default as many as remote slots
  });

  it('serves waiting tasks later in their chain first (finishes started assets)', async () => {
    const test = createTestProvider({ delayMs: (r) => (r.label.step === 'gen' ? 150 : 5) });
    await runPlan(planOf(3), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 1 },
    });
    // One slot. The first asset's upscale is queued while the second generation runs, and then goes
    // before the third generation; first come, first served would run all three generations first.
    const order = test.calls.map((call) => `${call.asset}.${call.step}`);
    const firstAsset = order[0]?.split('.')[0];
    expect(order[2]).toBe(`${firstAsset}.up`);
  });

  it('with --force, runs an identical task once per run even after the first has finished', async () => {
    const text = `name: t
assets:
  - id: a0
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "the same apple", seed: 5 }
  - id: again
    model: black-forest-labs/flux-schnell
    input: { prompt: "the same apple", seed: 5 }
outputs:
  - path: "{{ id }}.png"
`;
    const plan = createPlan([parseRecipeText(text, 'test.yaml', { catalog })], catalog);
    const test = createTestProvider();
    const result = await runPlan(plan, {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      force: true,
    });
    expect(result.failed).toBe(0);
    expect(test.calls.map((call) => call.step)).toEqual(['gen']);
    expect(result.recipes[0]?.assets[0]?.steps.map((step) => step.cache_hit)).toEqual([false, true]);
  });

  it('applies a per-model limit inside the remote limit', async () => {
    const test = createTestProvider({ delayMs: () => 15 });
    await runPlan(planOf(8), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 8, models: { 'nightmareai/real-esrgan': 1 } },
    });
    const ups = test.calls.filter((call) => call.step === 'up').sort((a, b) => a.start - b.start);
    for (let i = 1; i < ups.length; i++)
      expect(ups[i]?.start).toBeGreaterThanOrEqual(ups[i - 1]?.modelEnd ?? 0);
  });

  it('moves each asset on as soon as its previous step is done (no barrier between steps)', async () => {
    // a0 generates fast, a1 slowly: a0's upscale must start before a1's generation ends.
    const test = createTestProvider({
      delayMs: (r) => (r.label.asset === 'a1' && r.label.step === 'gen' ? 300 : 10),
    });
    await runPlan(planOf(2), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 4 },
    });
    const a0up = test.calls.find((c) => c.asset === 'a0' && c.step === 'up');
    const a1gen = test.calls.find((c) => c.asset === 'a1' && c.step === 'gen');
    expect(a0up?.start).toBeLessThan(a1gen?.end ?? 0);
  });

  it('a failed asset does not stop the others', async () => {
    const test = createTestProvider({ fail: (r) => r.label.asset === 'a1' && r.label.step === 'gen' });
    const events: RunEvent[] = [];
    const result = await runPlan(planOf(3), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      onEvent: (event) => events.push(event),
    });
    expect(result.failed).toBe(1);
    expect(result.made).toBe(2);
    const failed = result.recipes[0]?.assets.find((asset) => asset.id === 'a1');
    expect(failed?.status).toBe('failed');
    expect(failed?.error).toContain('model failed for a1');
    expect(events.some((e) => e.type === 'task-failed' && e.task.asset === 't/a1')).toBe(true);
    expect(test.calls.filter((c) => c.asset === 'a1')).toHaveLength(1);
  });

  it('starts no new paid task once spent plus in-flight would exceed the budget', async () => {
    // flux-schnell estimates $0.003, real-esrgan $0.000675; actual cost reported is $0.01 a task.
    const test = createTestProvider({ costUsd: 0.01, delayMs: () => 5 });
    const result = await runPlan(planOf(10), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 1 },
      maxUsd: 0.035,
    });
    expect(result.spentUsd).toBeLessThanOrEqual(0.035 + 0.01);
    expect(test.calls.length).toBeLessThan(20);
    expect(result.skipped).toBeGreaterThan(0);
  });

  it('cancellation stops scheduling; finished files stay', async () => {
    const controller = new AbortController();
    const test = createTestProvider({ delayMs: () => 30 });
    const running = runPlan(planOf(10), {
      provider: test.provider,
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
      pools: { remote: 2 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 70);
    const result = await running;
    expect(result.cancelled).toBe(true);
    expect(test.calls.length).toBeLessThan(20);
    expect(result.failed).toBeGreaterThan(0);
  });

  it('renders an output path from a text step once the text exists', async () => {
    const { createLocalProvider } = await import('../../src/providers/local/index.js');
    const text = `name: t
assets:
  - id: kite
steps:
  - id: name
    model: meta/meta-llama-3-70b-instruct
    input: { prompt: "red kite", max_tokens: 3 }
  - id: pic
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ steps.name.text }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}/{{ steps.name.text | slug }}.png"
`;
    const plan = createPlan([parseRecipeText(text, 'test.yaml', { catalog })], catalog);
    const result = await runPlan(plan, {
      provider: createLocalProvider(),
      cache: createCache(join(dir, 'cache')),
      outDir: join(dir, 'out'),
    });
    const asset = result.recipes[0]?.assets[0];
    const name = asset?.steps[0]?.kind === 'model' ? asset.steps[0].text : undefined;
    expect(name).toBeTruthy();
    const slug = (name ?? '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
    expect(asset?.outputs.map((o) => o.path)).toEqual([`t/kite/${slug}.png`]);
    expect((await stat(join(dir, 'out', `t/kite/${slug}.png`))).size).toBeGreaterThan(0);
  });

  it('two runs in one process share no state', async () => {
    const a = createTestProvider();
    const b = createTestProvider();
    const eventsA: RunEvent[] = [];
    const eventsB: RunEvent[] = [];
    const [ra, rb] = await Promise.all([
      runPlan(planOf(3), {
        provider: a.provider,
        cache: createCache(join(dir, 'cache-a')),
        outDir: join(dir, 'out-a'),
        onEvent: (e) => eventsA.push(e),
      }),
      runPlan(planOf(3), {
        provider: b.provider,
        cache: createCache(join(dir, 'cache-b')),
        outDir: join(dir, 'out-b'),
        onEvent: (e) => eventsB.push(e),
      }),
    ]);
    expect(a.calls).toHaveLength(6);
    expect(b.calls).toHaveLength(6);
    expect(ra.made).toBe(3);
    expect(rb.made).toBe(3);
    expect(eventsA.filter((e) => e.type === 'task-started')).toHaveLength(
      eventsB.filter((e) => e.type === 'task-started').length,
    );
  });
});
