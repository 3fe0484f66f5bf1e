/**
 * Child process of S5: `assetgen run <recipe> --json` through the CLI's own `main` (compiled dist/, as
 * installed users run it, no TypeScript loader in memory) against the fake Replicate API named in
 * BENCH_SCALE_INPUT — the whole CLI path: load and plan, cache probe, budget, output record, runner,
 * streamed manifest, lock, stale-output check, journal compaction, and one JSON line per event on stdout.
 * Prints one JSON line with timings (when each asset-finished line came) and memory: RSS sampled every
 * 50 ms, the kernel's maxRSS, the JS heap's peak (no GC is forced: V8 sizes the heap as it would).
 */
const { main } = await import(new URL('../../dist/cli/main.js', import.meta.url).href);

const input = JSON.parse(process.env.BENCH_SCALE_INPUT ?? '{}');
const startRss = process.memoryUsage().rss;
let peakRss = startRss;
let peakHeapUsed = 0;
let peakHeapTotal = 0;
let peakNonHeap = 0;
const sample = () => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeapUsed = Math.max(peakHeapUsed, usage.heapUsed);
  peakHeapTotal = Math.max(peakHeapTotal, usage.heapTotal);
  peakNonHeap = Math.max(peakNonHeap, usage.rss - usage.heapTotal);
};
const timer = setInterval(sample, 50);

const started = performance.now();
/** performance.now() of each asset-finished line, in order. */
const finishedAt = new Float64Array(input.assets);
/** The steady window: the assets finished at the 10 % and the 90 % marks (0-based indexes). */
const steadyFrom = Math.floor(input.assets * 0.1);
const steadyTo = Math.min(input.assets - 1, Math.floor(input.assets * 0.9));
/** process.cpuUsage() (user and system µs of this process, all threads) when those two assets finished. */
let cpuAtFrom;
let cpuAtTo;
let finished = 0;
let lines = 0;
let errors = '';
let summary;
const io = {
  out(text) {
    lines++;
    if (text.startsWith('{"v":1,"type":"asset-finished"')) {
      if (finished < finishedAt.length) finishedAt[finished] = performance.now();
      if (finished === steadyFrom) cpuAtFrom = process.cpuUsage();
      if (finished === steadyTo) cpuAtTo = process.cpuUsage(cpuAtFrom);
      finished++;
    } else if (text.startsWith('{"v":1,"type":"summary"')) summary = JSON.parse(text);
  },
  err(text) {
    if (errors.length < 4000) errors += `${text}\n`;
  },
  isTTY: false,
  env: { REPLICATE_API_TOKEN: input.token, PATH: process.env.PATH },
  cwd: input.dir,
};
const argv = [
  'run',
  input.recipe,
  '--json',
  '--provider',
  'replicate',
  '--base-url',
  input.baseUrl,
  '--rate',
  String(input.createsPerMinute),
  '--concurrency',
  String(input.concurrency),
  '--max-instances',
  String(input.assets),
  '--cache-dir',
  input.cacheDir,
  '--out',
  input.outDir,
];
const exitCode = await main(argv, io);
const ended = performance.now();
sample();
clearInterval(timer);

const steadyCount = finished === input.assets ? steadyTo - steadyFrom : 0;
const output = {
  exitCode,
  assets: input.assets,
  finished,
  lines,
  made: summary?.made,
  failed: summary?.failed,
  errors: exitCode === 0 ? '' : errors,
  totalMs: ended - started,
  /** From start to the first asset-finished line: load, plan, probe, provider start, first prediction. */
  firstAssetMs: finished > 0 ? finishedAt[0] - started : Number.NaN,
  /** After the last asset: manifest, lock, stale check, record, journal. */
  afterLastMs: finished > 0 ? ended - finishedAt[finished - 1] : Number.NaN,
  /** Per asset between the 10 % and the 90 % finished marks: start-up and tail left out. */
  steadyMsPerAsset:
    steadyCount > 0 ? (finishedAt[steadyTo] - finishedAt[steadyFrom]) / steadyCount : Number.NaN,
  /**
   * CPU milliseconds (user + system, every thread: JS, libuv's pool, libvips) per asset in the same window.
   * Time the host takes from this VM (steal) counts in the wall time above but not here.
   */
  steadyCpuMsPerAsset:
    steadyCount > 0 && cpuAtTo ? (cpuAtTo.user + cpuAtTo.system) / 1000 / steadyCount : Number.NaN,
  steadySystemMsPerAsset: steadyCount > 0 && cpuAtTo ? cpuAtTo.system / 1000 / steadyCount : Number.NaN,
  /** Per asset in each tenth of the run, in order: how the cost moves as the run goes on. */
  decileMsPerAsset:
    finished === input.assets && finished >= 20
      ? Array.from({ length: 10 }, (_, i) => {
          const from = Math.floor((finished * i) / 10);
          const to = Math.min(finished - 1, Math.floor((finished * (i + 1)) / 10));
          return (finishedAt[to] - finishedAt[from]) / (to - from);
        })
      : [],
  startRss,
  peakRss,
  maxRss: process.resourceUsage().maxRSS * 1024,
  peakHeapUsed,
  peakHeapTotal,
  peakNonHeap,
};
process.stdout.write(`${JSON.stringify(output)}\n`);
