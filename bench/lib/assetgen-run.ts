/**
 * Runs a recipe file with assetgen's library API against a fake Replicate server, the way `assetgen run`
 * does (cache, prediction journal, manifest), with the provider on the workload's simulated time.
 */
import { mkdir } from 'node:fs/promises';
import { writeManifest } from '../../src/manifest/write.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan, type Plan } from '../../src/plan/plan.js';
import { createReplicateProvider } from '../../src/providers/replicate/index.js';
import { loadRecipes } from '../../src/recipe/index.js';
import { type RunResult, runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import { openJournal } from '../../src/store/journal.js';
import { createScaledTime } from './scaled-time.js';
import type { WorkloadTime } from './workload.js';

export interface AssetgenRunOptions {
  recipe: string;
  /** The (fake) Replicate API. */
  server: { token: string; baseUrl: string };
  time: WorkloadTime;
  /** The provider's create limit, per simulated minute. */
  createsPerMinute: number;
  cacheDir: string;
  outDir: string;
  /** Remote pool size (default: the recipe's `concurrency.remote`). */
  remote?: number;
}

export interface AssetgenRun {
  plan: Plan;
  result: RunResult;
  /** Load + validate + plan, in ms. */
  planMs: number;
  /** `runPlan` alone (the makespan), in ms. */
  runMs: number;
  /** Manifest write, in ms. */
  manifestMs: number;
  warnings: string[];
}

export async function runWithAssetgen(options: AssetgenRunOptions): Promise<AssetgenRun> {
  const warnings: string[] = [];
  const started = performance.now();
  const catalog = createCatalog();
  const plan = createPlan(await loadRecipes([options.recipe], { catalog }), catalog);
  const planned = performance.now();
  const scaled = createScaledTime(options.time.timeScale);
  const provider = createReplicateProvider({
    token: options.server.token,
    baseUrl: options.server.baseUrl,
    createsPerMinute: options.createsPerMinute,
    clock: scaled.clock,
    sleep: scaled.sleep,
    onWarning: (message) => warnings.push(message),
  });
  await mkdir(options.cacheDir, { recursive: true });
  const journal = await openJournal(options.cacheDir);
  const cache = createCache(options.cacheDir);
  const remote = options.remote ?? plan.recipes[0]?.loaded.recipe.concurrency?.remote;
  try {
    const runStarted = performance.now();
    const result = await runPlan(plan, {
      provider,
      cache,
      outDir: options.outDir,
      journal,
      pools: remote === undefined ? {} : { remote },
      onEvent: (event) => {
        if (event.type === 'warning') warnings.push(event.message);
      },
    });
    const runMs = performance.now() - runStarted;
    const manifestStarted = performance.now();
    await writeManifest(options.outDir, result, { generatorVersion: 'bench' });
    return {
      plan,
      result,
      planMs: planned - started,
      runMs,
      manifestMs: performance.now() - manifestStarted,
      warnings,
    };
  } finally {
    await journal.close(async (key) => (await cache.get(key)) !== undefined);
    await provider.close?.();
  }
}
