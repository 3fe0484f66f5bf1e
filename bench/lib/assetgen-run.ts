/**
 * Runs a recipe file with assetgen's library API against a fake Replicate server, the way `assetgen run`
 * does (cache, prediction journal, manifest), with the provider on the workload's simulated time.
 */
import { mkdir } from 'node:fs/promises';
import { cpus } from 'node:os';
import { manifestRecipes } from '../../src/api/manifest-entries.js';
import { providerEntry } from '../../src/manifest/placeholders.js';
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
  /** The fake's `clockOrigin`, when it runs on simulated time (the provider's clock then matches it). */
  clockOrigin?: number;
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
  /** CPU time of this process (main thread and its thread pool) during `runPlan`, in ms. */
  cpuMs: number;
  /** Share of the machine's CPU time busy during `runPlan` (every process, the fake server's included). */
  machineBusy: number;
  warnings: string[];
}

export async function runWithAssetgen(options: AssetgenRunOptions): Promise<AssetgenRun> {
  const warnings: string[] = [];
  const started = performance.now();
  const catalog = createCatalog();
  const plan = createPlan(await loadRecipes([options.recipe], { catalog }), catalog);
  const planned = performance.now();
  const scaled = createScaledTime(options.time.timeScale, options.clockOrigin);
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
    const cpuBefore = process.cpuUsage();
    const machineBefore = machineTimes();
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
    const cpu = process.cpuUsage(cpuBefore);
    const machine = machineTimes();
    const manifestStarted = performance.now();
    const made = providerEntry(provider.name);
    await writeManifest(options.outDir, manifestRecipes(result, process.cwd(), made), {
      generatorVersion: 'bench',
      provider: made,
    });
    return {
      plan,
      result,
      planMs: planned - started,
      runMs,
      manifestMs: performance.now() - manifestStarted,
      cpuMs: (cpu.user + cpu.system) / 1000,
      machineBusy: 1 - (machine.idle - machineBefore.idle) / (machine.total - machineBefore.total),
      warnings,
    };
  } finally {
    await journal.close(async (key) => (await cache.get(key)) !== undefined);
    await provider.close?.();
  }
}

/** Idle and total CPU time of all cores so far, in ms. */
function machineTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const core of cpus()) {
    const t = core.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}
