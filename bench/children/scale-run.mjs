/**
 * Child process of S5: runs one recipe with the compiled library (dist/, as installed users run it, no
 * TypeScript loader in memory) against the fake Replicate API named in BENCH_SCALE_INPUT, the way
 * `assetgen run` does (cache, journal, manifest, lock), and prints one JSON line with timings and memory:
 * RSS sampled every 50 ms, the kernel's maxRSS, the JS heap's peak and its live size after the run.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const [
  { openManifestStream },
  { createCatalog },
  { createPlan },
  { createReplicateProvider },
  { realSleep },
] = await Promise.all([
  load('manifest/stream.js'),
  load('models/catalog.js'),
  load('plan/plan.js'),
  load('providers/replicate/index.js'),
  load('providers/replicate/retry.js'),
]);
const [
  { loadRecipes },
  { runPlan },
  { createCache },
  { openJournal },
  { providerEntry },
  { openLockSpool },
  { emptyLock },
  { mergeLock },
] = await Promise.all([
  load('recipe/index.js'),
  load('run/runner.js'),
  load('store/cache.js'),
  load('store/journal.js'),
  load('manifest/placeholders.js'),
  load('store/lock-spool.js'),
  load('store/lock.js'),
  load('api/lock-merge.js'),
]);

const input = JSON.parse(process.env.BENCH_SCALE_INPUT ?? '{}');
const startRss = process.memoryUsage().rss;
let peakRss = startRss;
let peakHeapUsed = 0;
let peakHeapTotal = 0;
let peakExternal = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
  peakHeapTotal = Math.max(peakHeapTotal, usage.heapTotal);
  peakExternal = Math.max(peakExternal, usage.external);
};
const timer = setInterval(sample, 50);

const started = performance.now();
const catalog = createCatalog();
const plan = createPlan(await loadRecipes([input.recipe], { catalog, maxInstances: 1_000_000 }), catalog);
const planned = performance.now();
const origin = Date.now();
const provider = createReplicateProvider({
  token: input.token,
  baseUrl: input.baseUrl,
  createsPerMinute: input.createsPerMinute,
  // Simulated time, as in lib/scaled-time.ts.
  clock: () => origin + (Date.now() - origin) / input.timeScale,
  sleep: (ms, signal) => realSleep(ms * input.timeScale, signal),
});
const journal = await openJournal(input.cacheDir);
const cache = createCache(input.cacheDir);
// As api/run.ts does: entries stream into the manifest as assets finish (manifest/stream.ts).
const manifest = await openManifestStream(
  input.outDir,
  plan.recipes.map((recipe) => ({
    name: recipe.name,
    source: recipe.loaded.file,
    output: recipe.outputFolder,
    count: recipe.assets.length,
  })),
);
// As api/run-output.ts does for a paid run: lock entries spool to the cache's tmp/ (store/lock-spool.ts).
const lockSpool = await openLockSpool(join(input.cacheDir, 'tmp'));
const result = await runPlan(plan, {
  lockEntries: lockSpool,
  provider,
  cache,
  outDir: input.outDir,
  journal,
  pools: { remote: input.concurrency },
  onAsset: manifest.add,
});
const ran = performance.now();
// What the finished run still holds (plan, lock entries, keys), without garbage: needs --expose-gc.
globalThis.gc?.();
const liveHeapAfterRun = process.memoryUsage().heapUsed;
// For profiling: what the finished run still holds (`BENCH_HEAP_SNAPSHOT=file`).
if (process.env.BENCH_HEAP_SNAPSHOT)
  (await import('node:v8')).writeHeapSnapshot(process.env.BENCH_HEAP_SNAPSHOT);
await manifest.finish({
  file: 'manifest.json',
  generatorVersion: 'bench',
  fallback: providerEntry('replicate'),
});
const manifestWritten = performance.now();
const recipeNames = plan.recipes.map((recipe) => `${recipe.name}@`);
await lockSpool.writeLock(
  join(input.outDir, 'assetgen.lock'),
  mergeLock(emptyLock(), { ...result.lock, tasks: {} }, recipeNames, result.failed === 0),
);
const written = performance.now();
await journal.close(async (key) => (await cache.get(key)) !== undefined);
await provider.close();
sample();
clearInterval(timer);

const output = {
  assets: plan.recipes.reduce((n, r) => n + r.assets.length, 0),
  failed: result.failed,
  planMs: planned - started,
  runMs: ran - planned,
  manifestMs: manifestWritten - ran,
  lockMs: written - manifestWritten,
  manifestBytes: (await stat(join(input.outDir, 'manifest.json'))).size,
  startRss,
  peakRss,
  maxRss: process.resourceUsage().maxRSS * 1024,
  peakHeapUsed,
  peakHeapTotal,
  peakExternal,
  liveHeapAfterRun,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
