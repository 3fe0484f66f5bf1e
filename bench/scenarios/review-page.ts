/**
 * S7 — the review page for 1,000 assets (100 with --quick): a real run's output folder (each asset a
 * 1024² PNG model result in the cache and a webp output 512 wide), then `writeReviewPage`
 * into a fresh folder (every thumbnail made: the step image and the final image of each asset), and
 * again with nothing changed (every thumbnail kept), median of three.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import os, { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { manifestRecipes } from '../../src/api/manifest-entries.js';
import { writeManifest } from '../../src/manifest/write.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { loadRecipes } from '../../src/recipe/index.js';
import { writeReviewPage } from '../../src/review/index.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { createPremadeProvider, makePremadeImages } from '../lib/premade.js';
import { median } from '../lib/stats.js';
import { MODELS } from '../lib/workload.js';

async function folderBytes(dir: string): Promise<number> {
  const names = await readdir(dir);
  const sizes = await Promise.all(names.map(async (name) => (await stat(join(dir, name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

export async function reviewPage(context: BenchContext): Promise<ScenarioRow[]> {
  const count = context.options.quick ? 100 : 1_000;
  const dir = join(context.workDir, 'review');
  context.log(`S7: making ${count} source pictures (1024², PNG) and running them into an output folder`);
  const images = await makePremadeImages(join(dir, 'sources'), count);
  const recipePath = join(dir, 'review.yaml');
  await writeFile(
    recipePath,
    stringify({
      name: 'bench-review',
      assets: images.map((image) => ({ id: image.id })),
      steps: [{ id: 'source', model: MODELS.generate, input: { prompt: '{{ id }}' } }],
      outputs: [{ path: '{{ id }}-{{ width }}w.webp', widths: [512], format: { webp: { quality: 80 } } }],
    }),
  );
  const catalog = createCatalog();
  const plan = createPlan(await loadRecipes([recipePath], { catalog }), catalog);
  const cacheDir = join(dir, 'cache');
  const outDir = join(dir, 'out');
  const result = await runPlan(plan, {
    provider: createPremadeProvider(images),
    cache: createCache(cacheDir),
    outDir,
    pools: { local: availableParallelism() },
  });
  if (result.failed > 0) throw new Error(`S7: ${result.failed} assets failed`);
  await writeManifest(outDir, manifestRecipes(result, dir), { generatorVersion: 'bench' });

  const to = join(dir, 'page');
  context.log(`S7: review page, ${count} assets, cold`);
  const cpuBefore = process.cpuUsage();
  const cold = await writeReviewPage({ outDir, to, cacheDir });
  const cpu = process.cpuUsage(cpuBefore);
  const coldCpuMs = (cpu.user + cpu.system) / 1000;
  if (cold.cards !== count || cold.thumbnails.made !== 2 * count || cold.problems.length > 0)
    throw new Error(`S7: unexpected cold page: ${JSON.stringify(cold)}`);
  const warm: number[] = [];
  const warmCpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    context.log(`S7: review page, ${count} assets, unchanged (${i + 1}/3)`);
    const before = process.cpuUsage();
    const again = await writeReviewPage({ outDir, to, cacheDir });
    const used = process.cpuUsage(before);
    if (again.thumbnails.made !== 0) throw new Error('S7: a re-write made thumbnails');
    warm.push(again.durationMs);
    warmCpu.push((used.user + used.system) / 1000);
  }
  const load = os.loadavg()[0]?.toFixed(1);
  const htmlBytes = (await stat(cold.path)).size;
  const thumbBytes = await folderBytes(join(to, 'thumbs'));
  const sizes = `index.html ${(htmlBytes / 1e6).toFixed(1)} MB, thumbnails ${(thumbBytes / 1e6).toFixed(1)} MB`;
  return [
    {
      id: 'S7',
      title: `Review page for ${count.toLocaleString('en')} assets, first write (${2 * count} thumbnails made)`,
      value: round(cold.durationMs / 1000, 2),
      unit: 's',
      target: '',
      met: null,
      summary:
        `${seconds(cold.durationMs)} wall, ${seconds(coldCpuMs)} CPU (${(coldCpuMs / (2 * count)).toFixed(1)} ms per thumbnail); ` +
        `${sizes}; parallelism ${availableParallelism()}, load ${load}`,
      details: {
        coldMs: round(cold.durationMs, 1),
        coldCpuMs: round(coldCpuMs, 0),
        htmlBytes,
        thumbBytes,
        thumbnails: cold.thumbnails,
        loadAverage: os.loadavg(),
      },
    },
    {
      id: 'S7b',
      title: `Review page for ${count.toLocaleString('en')} assets, re-written with images unchanged (median)`,
      value: round(median(warm), 0),
      unit: 'ms',
      target: '',
      met: null,
      summary: `runs ${warm.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}, CPU ${warmCpu.map((ms) => ms.toFixed(0)).join(', ')} ms; every thumbnail kept`,
      details: { warmMs: warm.map((ms) => round(ms, 1)), warmCpuMs: warmCpu.map((ms) => round(ms, 0)) },
    },
  ];
}
