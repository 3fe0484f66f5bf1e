/**
 * S5 — scale: plan and run N assets of one fast step against the fake, each size in a fresh child
 * process (children/scale-run.mjs): peak RSS at 10,000 and at 100,000 assets (the plan is lazy, the
 * manifest and the lock stream to disk), time per asset at 100,000 against 1,000, and how the live heap
 * grows per asset compared with the manifest's own size. The child runs the compiled dist/. The 100,000
 * size (S5b, S5d) runs only when S5 is picked (`--only 5`) or in a quick run (5,000 then).
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startFakeProcess } from '../fake/client.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { fastRecipe, fastSpec } from '../lib/workload.js';

const CHILD = fileURLToPath(new URL('../children/scale-run.mjs', import.meta.url));
/** A high account limit: this scenario is about memory and per-asset cost, not the rate limiter. */
const CREATES_PER_MINUTE = 1_000_000;
const MB = 2 ** 20;

/** What children/scale-run.mjs takes (JSON in BENCH_SCALE_INPUT) and prints (one JSON line). */
interface ScaleChildInput {
  recipe: string;
  token: string;
  baseUrl: string;
  timeScale: number;
  createsPerMinute: number;
  concurrency: number;
  cacheDir: string;
  outDir: string;
}

interface ScaleChildOutput {
  assets: number;
  failed: number;
  planMs: number;
  runMs: number;
  manifestMs: number;
  /** The lock streamed from its spool (store/lock-spool.ts). */
  lockMs: number;
  manifestBytes: number;
  startRss: number;
  peakRss: number;
  maxRss: number;
  peakHeapUsed: number;
  /** JS heap after a full GC at the end of the run (results and plan still referenced). */
  liveHeapAfterRun: number;
}

async function runSize(context: BenchContext, assets: number): Promise<ScaleChildOutput> {
  const dir = join(context.workDir, `scale-${assets}`);
  await mkdir(dir, { recursive: true });
  const recipe = join(dir, 'scale.yaml');
  await writeFile(recipe, fastRecipe(assets, context.sizes.concurrency));
  const fake = await startFakeProcess(fastSpec(CREATES_PER_MINUTE, context.time));
  try {
    context.log(`S5: ${assets} assets × 1 fast step, fresh process`);
    const input: ScaleChildInput = {
      recipe,
      token: fake.token,
      baseUrl: fake.baseUrl,
      timeScale: context.time.timeScale,
      createsPerMinute: CREATES_PER_MINUTE,
      concurrency: context.sizes.concurrency,
      cacheDir: join(dir, 'cache'),
      outDir: join(dir, 'out'),
    };
    const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', CHILD], {
      env: { ...process.env, BENCH_SCALE_INPUT: JSON.stringify(input) },
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ScaleChildOutput;
  } finally {
    await fake.close();
  }
}

export async function scale(context: BenchContext): Promise<ScenarioRow[]> {
  const [small, middle, large] = context.sizes.scale;
  const a = await runSize(context, small);
  const b = await runSize(context, middle);
  const rows: ScenarioRow[] = [
    {
      id: 'S5',
      title: `Scale: peak RSS at ${middle} assets (no heap flag)`,
      value: round(peakOf(b) / MB, 1),
      unit: 'MB',
      target: '≤ 300 MB',
      met: peakOf(b) <= 300 * MB && a.failed + b.failed === 0,
      summary:
        `${small} assets: ${mb(peakOf(a))}; peak heap ${mb(b.peakHeapUsed)}, live after the run ` +
        `${mb(b.liveHeapAfterRun)}; start ${mb(b.startRss)}; ${perAsset(a).toFixed(2)} → ${perAsset(b).toFixed(2)} ms/asset`,
      details: { small: a, middle: b },
    },
  ];
  // 100,000 assets take about 20 minutes: only when S5 is picked (`--only 5`) or in a quick run.
  if (!context.options.quick && !context.options.onlyGiven) {
    context.log(`S5: ${large} assets skipped (npm run bench -- --only 5 runs them)`);
    return rows;
  }
  const c = await runSize(context, large);
  // Peak RSS follows V8's lazy collection; the live heap after a full GC is what really grows per asset.
  const growthPerAsset = (c.liveHeapAfterRun - a.liveHeapAfterRun) / (large - small);
  const manifestPerAsset = c.manifestBytes / large;
  const ratio = perAsset(c) / perAsset(a);
  rows.push(
    {
      id: 'S5b',
      title: `Scale: time per asset at ${large} vs ${small} assets (plan + run + manifest + lock)`,
      value: round(ratio, 2),
      unit: '×',
      target: '0.8–1.2 ×',
      met: ratio >= 0.8 && ratio <= 1.2 && c.failed === 0,
      summary:
        `${small}: ${perAsset(a).toFixed(2)} ms/asset, ${middle}: ${perAsset(b).toFixed(2)}, ${large}: ${perAsset(c).toFixed(2)} ` +
        `(plan ${seconds(c.planMs)}, run ${seconds(c.runMs)}, manifest ${seconds(c.manifestMs)}, lock ${seconds(c.lockMs)})`,
      details: {},
    },
    {
      id: 'S5d',
      title: `Scale: peak RSS at ${large} assets × 1 fast step`,
      value: round(peakOf(c) / MB, 1),
      unit: 'MB',
      target: '≤ 300 MB',
      met: peakOf(c) <= 300 * MB && c.failed === 0,
      summary:
        `live heap after the run ${mb(a.liveHeapAfterRun)} → ${mb(c.liveHeapAfterRun)} = ` +
        `${(growthPerAsset / 1024).toFixed(2)} KB/asset vs manifest ${(manifestPerAsset / 1024).toFixed(1)} KB/asset ` +
        `(${mb(c.manifestBytes)} streamed); peak heap ${mb(c.peakHeapUsed)}; ${c.failed} failed`,
      details: {
        large: c,
        growthPerAssetBytes: round(growthPerAsset, 0),
        manifestPerAssetBytes: round(manifestPerAsset, 0),
      },
    },
  );
  return rows;
}

const peakOf = (out: ScaleChildOutput): number => Math.max(out.peakRss, out.maxRss);
const perAsset = (out: ScaleChildOutput): number =>
  (out.planMs + out.runMs + out.manifestMs + out.lockMs) / out.assets;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
