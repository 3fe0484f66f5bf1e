/**
 * The bench's workload must measure real work: its fake's tiny answers have to pass the runner's quality
 * gates (an upscaler answers at its input's size × factor, a cut-out keeps a subject). When they did not,
 * every S1/S2/S3/S8 asset failed its check and the rows measured failures (2026-12-01 to 12-03).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTinyMaker } from '../../bench/fake/tiny-maker.js';
import { pipelineRecipe } from '../../bench/lib/workload.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { createReplicateProvider } from '../../src/providers/replicate/index.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { RunEvent } from '../../src/run/events.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';

const TOKEN = 'r8_bench-tiny-maker';
let fake: FakeReplicate;
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-bench-tiny-'));
  fake = await startFakeReplicate({ token: TOKEN, makeOutputs: createTinyMaker(), behaviour: { runMs: 5 } });
});
afterEach(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

it('runs the bench pipeline with every gate passed on the first try', async () => {
  const catalog = createCatalog();
  const plan = createPlan([parseRecipeText(pipelineRecipe(4, 4), 'pipeline.yaml', { catalog })], catalog);
  const events: RunEvent[] = [];
  const result = await runPlan(plan, {
    provider: createReplicateProvider({ token: TOKEN, baseUrl: fake.baseUrl, poll: { firstDelayMs: 5 } }),
    cache: createCache(join(dir, 'cache')),
    outDir: join(dir, 'out'),
    onEvent: (event) => events.push(event),
  });
  expect(events.filter((event) => event.type === 'check-failed')).toEqual([]);
  expect(result.failed).toBe(0);
  expect(result.made).toBe(4);
  expect(fake.counts.create).toBe(12);
  const written = events.flatMap((event) => (event.type === 'file-written' ? [event] : []));
  expect(written).toHaveLength(4);
  // generate 8×8 → upscale ×2 → 16×16 → cut-out at 8×8 with half its pixels kept.
  const { width, height, hasAlpha } = await sharp(join(dir, 'out', written[0]?.path ?? '')).metadata();
  expect({ width, height, hasAlpha }).toEqual({ width: 8, height: 8, hasAlpha: true });
});
