/**
 * Identical tasks are planned once: 40 assets whose model steps are 20 distinct tasks (same model, input
 * and seed two by two) are estimated at what the run spends against the fake Replicate, the budget check
 * holds that figure (not twice it), and each shard estimates the distinct tasks it has.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetError, planRecipes, runRecipes } from '../../src/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';

const TOKEN = 'test-identical-token';
const PRICE = 0.003; // flux-schnell, per image
const RECIPE = (budget: number, upscale = true) => `name: pairs
budget: { max_usd: ${budget} }
assets:
${Array.from({ length: 40 }, (_, i) => `  - id: a${i}\n    subject: thing ${i % 20}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a {{ subject }}", seed: 7, megapixels: "0.25", aspect_ratio: "1:1" }
${upscale ? '  - id: big\n    model: nightmareai/real-esrgan\n    input: { scale: 2 }\n    price: { per_second: 0.000225, typical_seconds: 3 }\n' : ''}outputs:
  - path: "{{ id }}.png"
    widths: [16]
`;
const UPSCALE = 0.000225 * 3; // real-esrgan: T4 seconds × its typical run time

describe('identical tasks', () => {
  let dir: string;
  let fake: FakeReplicate;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-identical-'));
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 5 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });

  it('are estimated once, and the estimate is what the run spends', async () => {
    // The case: 40 assets, 20 distinct generations at $0.003 — estimated $0.06, spent $0.06.
    await writeFile(join(dir, 'pairs.yaml'), RECIPE(0.09, false));
    const plan = await planRecipes(['pairs.yaml'], { cwd: dir, replicate: replicate() });
    expect(plan.overBudget).toBeNull(); // counted twice ($0.12) it would be refused
    expect(plan.summary.estimatedUsd).toBeCloseTo(20 * PRICE, 9);
    expect(plan.summary.models).toEqual([
      expect.objectContaining({ model: 'black-forest-labs/flux-schnell', tasks: 40, identical: 20 }),
    ]);
    const second = plan.assets.find((asset) => asset.key === 'pairs/a20');
    expect(second?.steps[0]).toMatchObject({ estimatedUsd: 0, identicalTo: 'pairs/a0#art' });

    const report = await runRecipes(['pairs.yaml'], { cwd: dir, replicate: replicate() });
    expect(report.status).toBe('ok');
    expect(fake.counts.create).toBe(20);
    expect(report.estimate.estimatedUsd).toBeCloseTo(20 * PRICE, 9);
    expect(report.spentUsd).toBeCloseTo(20 * PRICE, 9);
  });

  it('a step after identical ones is identical too (the upscale of the same picture)', async () => {
    await writeFile(join(dir, 'chain.yaml'), RECIPE(10).replace('name: pairs', 'name: chain'));
    const plan = await planRecipes(['chain.yaml'], { cwd: dir, cacheDir: 'cold', replicate: replicate() });
    expect(plan.summary.estimatedUsd).toBeCloseTo(20 * (PRICE + UPSCALE), 9);
    expect(plan.summary.models.map((model) => model.identical)).toEqual([20, 20]);
  });

  it('the budget still counts every distinct task', async () => {
    await writeFile(join(dir, 'tight.yaml'), RECIPE(0.05).replace('name: pairs', 'name: tight'));
    await expect(
      runRecipes(['tight.yaml'], { cwd: dir, cacheDir: 'cold', replicate: replicate() }),
    ).rejects.toThrow(BudgetError);
  });

  it('each shard estimates the distinct tasks it has; a task two shards share counts in both', async () => {
    await writeFile(join(dir, 'shards.yaml'), RECIPE(10).replace('name: pairs', 'name: shards'));
    const shards = await Promise.all(
      [1, 2, 3].map((index) =>
        planRecipes(['shards.yaml'], {
          cwd: dir,
          cacheDir: 'cold',
          replicate: replicate(),
          shard: { index, count: 3 },
        }),
      ),
    );
    let total = 0;
    for (const shard of shards) {
      const subjects = new Set(shard.assets.map((asset) => Number(asset.id.slice(1)) % 20));
      expect(shard.summary.estimatedUsd).toBeCloseTo(subjects.size * (PRICE + UPSCALE), 9);
      total += shard.summary.estimatedUsd ?? 0;
    }
    expect(shards.reduce((sum, shard) => sum + shard.summary.assets, 0)).toBe(40);
    expect(total).toBeGreaterThanOrEqual(20 * (PRICE + UPSCALE) - 1e-9);
  });
});
