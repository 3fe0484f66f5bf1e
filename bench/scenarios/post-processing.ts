/**
 * S4 — post-processing overhead: pictures through trim + resize, then webp and avif at two widths, by
 * assetgen's local pool (model step cached beforehand, so only image work runs) versus the same sharp
 * operations called directly (baselines/sharp-direct.ts) with the same parallelism. Runs alternate.
 */
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { loadRecipes } from '../../src/recipe/index.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { type DirectOutput, runSharpDirect } from '../baselines/sharp-direct.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { createPremadeProvider, makePremadeImages, type PremadeImage } from '../lib/premade.js';
import { median } from '../lib/stats.js';
import { MODELS } from '../lib/workload.js';

const BOX = 800;
const OUTPUTS: DirectOutput[] = [
  { format: 'webp', width: 320, options: { quality: 80 } },
  { format: 'webp', width: 640, options: { quality: 80 } },
  { format: 'avif', width: 320, options: { quality: 55, effort: 2 } },
  { format: 'avif', width: 640, options: { quality: 55, effort: 2 } },
];

function recipe(images: readonly PremadeImage[], full: boolean): string {
  const source = { id: 'source', model: MODELS.generate, input: { prompt: '{{ id }}' } };
  const tidy = {
    id: 'tidy',
    image: [{ trim: {} }, { resize: { width: BOX, height: BOX, fit: 'contain', background: '#ffffff' } }],
  };
  return stringify({
    name: 'bench-post',
    assets: images.map((image) => ({ id: image.id })),
    steps: full ? [source, tidy] : [source],
    outputs: full
      ? [
          { path: '{{ id }}-{{ width }}w.webp', widths: [320, 640], format: { webp: { quality: 80 } } },
          {
            path: '{{ id }}-{{ width }}w.avif',
            widths: [320, 640],
            format: { avif: { quality: 55, effort: 2 } },
          },
        ]
      : [{ path: '{{ id }}-thumb.png', widths: [8] }],
  });
}

async function runRecipe(path: string, images: readonly PremadeImage[], cacheDir: string, outDir: string) {
  const catalog = createCatalog();
  const plan = createPlan(await loadRecipes([path], { catalog }), catalog);
  const started = performance.now();
  const result = await runPlan(plan, {
    provider: createPremadeProvider(images),
    cache: createCache(cacheDir),
    outDir,
    pools: { local: availableParallelism() },
  });
  const wallMs = performance.now() - started;
  if (result.failed > 0) throw new Error(`assetgen: ${result.failed} assets failed`);
  const files = result.recipes.flatMap((r) => r.assets.flatMap((a) => a.outputs)).length;
  return { wallMs, files };
}

export async function postProcessing(context: BenchContext): Promise<ScenarioRow[]> {
  const count = context.sizes.images;
  const dir = join(context.workDir, 'post');
  await mkdir(dir, { recursive: true });
  context.log(`S4: making ${count} source pictures (1024², PNG)`);
  const images = await makePremadeImages(join(dir, 'sources'), count);
  const warmRecipe = join(dir, 'warm.yaml');
  const fullRecipe = join(dir, 'post.yaml');
  await writeFile(warmRecipe, recipe(images, false));
  await writeFile(fullRecipe, recipe(images, true));
  const warmCache = join(dir, 'cache-warm');
  await runRecipe(warmRecipe, images, warmCache, join(dir, 'out-warm'));

  const ours: number[] = [];
  const theirs: number[] = [];
  let files = { ours: 0, theirs: 0 };
  const reps = context.options.quick ? 1 : 2;
  for (let rep = 0; rep < reps; rep++) {
    const runOurs = async () => {
      const cacheDir = join(dir, `cache-${rep}`);
      await cp(warmCache, cacheDir, { recursive: true });
      context.log(`S4: assetgen, ${count} pictures × ${OUTPUTS.length} outputs (run ${rep + 1}/${reps})`);
      const run = await runRecipe(fullRecipe, images, cacheDir, join(dir, `out-ours-${rep}`));
      ours.push(run.wallMs);
      files = { ...files, ours: run.files };
    };
    const runTheirs = async () => {
      context.log(`S4: sharp directly, same operations (run ${rep + 1}/${reps})`);
      const run = await runSharpDirect({
        sources: images,
        outputs: OUTPUTS,
        box: BOX,
        parallelism: availableParallelism(),
        outDir: join(dir, `out-direct-${rep}`),
      });
      theirs.push(run.wallMs);
      files = { ...files, theirs: run.files };
    };
    // Alternate who goes first, so drift on a shared machine falls on both sides.
    if (rep % 2 === 0) {
      await runOurs();
      await runTheirs();
    } else {
      await runTheirs();
      await runOurs();
    }
  }
  const ratio = median(ours) / median(theirs);
  return [
    {
      id: 'S4',
      title: `Post-processing overhead (${count} pictures, local pool / direct sharp)`,
      value: round(ratio, 3),
      unit: '×',
      target: '≤ 1.10',
      met: ratio <= 1.1,
      summary:
        `assetgen ${seconds(median(ours))} vs direct ${seconds(median(theirs))} (median of ${reps}), ` +
        `${files.ours} / ${files.theirs} files, parallelism ${availableParallelism()}`,
      details: { oursMs: ours.map((ms) => round(ms, 1)), directMs: theirs.map((ms) => round(ms, 1)), files },
    },
  ];
}
