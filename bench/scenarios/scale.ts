/**
 * S5 — scale: `assetgen run --json` of N assets of one fast step against the fake, each size in a fresh
 * child process (children/scale-run.mjs, the CLI's own `main` from the compiled dist/): peak RSS at 10,000
 * and at 100,000 assets (the plan is lazy, the manifest and the lock stream to disk, the listed paths are
 * hashes), and the time per asset at 100,000 against 1,000 in the steady state (the 1,000 run's median
 * of three: before, between and after the others). The 100,000 size (S5b, S5d) runs only when S5 is
 * picked (`--only 5`) or in a quick run (5,000 then).
 *
 * The runs' folders are on a tmpfs (/dev/shm) when there is one, `--scale-dir` picks another: on this
 * machine's ext4 without a journal, creating a file passes over the inodes freed in the last minutes (perf:
 * ~10 % of a 1,000-asset run's CPU in the kernel's `recently_deleted`), which weighs on short runs —
 * measured 2026-12-02: 1,000 assets 37.5 and 36.6 ms each on ext4 against 26.3 and 23.9 on tmpfs, 10,000
 * assets 25.7 on both.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, statfs, writeFile } from 'node:fs/promises';
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
  dir: string;
  recipe: string;
  assets: number;
  token: string;
  baseUrl: string;
  createsPerMinute: number;
  concurrency: number;
  cacheDir: string;
  outDir: string;
}

interface ScaleChildOutput {
  exitCode: number;
  assets: number;
  /** asset-finished lines seen. */
  finished: number;
  made?: number;
  failed?: number;
  /** stderr, when the run did not exit 0. */
  errors: string;
  totalMs: number;
  /** Start to the first finished asset (load, plan, cache probe, first prediction). */
  firstAssetMs: number;
  /** Last finished asset to the end (manifest, lock, stale check, output record, journal). */
  afterLastMs: number;
  /** Per asset between the 10 % and 90 % finished marks. */
  steadyMsPerAsset: number;
  /** CPU ms (user + system, all threads) per asset in the same window: host steal does not count here. */
  steadyCpuMsPerAsset: number;
  /** Its system part. */
  steadySystemMsPerAsset: number;
  /** Wall ms per asset in each tenth of the run (empty for a run under 20 assets). */
  decileMsPerAsset: number[];
  startRss: number;
  peakRss: number;
  maxRss: number;
  peakHeapUsed: number;
  peakHeapTotal: number;
  /** The most RSS outside the JS heap (native: sharp/libvips, buffers, malloc). */
  peakNonHeap: number;
  /** Set by runSize: the share of this VM's CPU time the host took (steal) during the run, on Linux. */
  hostSteal?: number;
}

/** The machine's CPU ticks from /proc/stat: all, and the steal column; undefined where there is none. */
async function cpuTicks(): Promise<{ total: number; steal: number } | undefined> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => undefined);
  const fields = stat?.split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number);
  if (fields === undefined || fields.length < 8) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is counted in user already).
  const counted = fields.slice(0, 8);
  return { total: counted.reduce((sum, n) => sum + n, 0), steal: counted[7] ?? 0 };
}

/** statfs's type of a tmpfs (linux/magic.h). */
const TMPFS_MAGIC = 0x01021994;

interface ScaleFolder {
  path: string;
  /** What the row's summary says the runs were written to. */
  filesystem: string;
  remove(): Promise<void>;
}

/** A fresh folder in `--scale-dir`, else on /dev/shm when it is a tmpfs, else the bench's work folder. */
async function scaleFolder(context: BenchContext): Promise<ScaleFolder> {
  const { scaleDir, keep } = context.options;
  const shm = await statfs('/dev/shm').catch(() => undefined);
  const base = scaleDir ?? (shm?.type === TMPFS_MAGIC ? '/dev/shm' : undefined);
  if (base === undefined)
    return { path: context.workDir, filesystem: await filesystemOf(context.workDir), remove: async () => {} };
  await mkdir(base, { recursive: true });
  const path = await mkdtemp(join(base, 'assetgen-scale-'));
  return {
    path,
    filesystem: await filesystemOf(path),
    remove: () => (keep ? Promise.resolve() : rmTree(path)),
  };
}

const rmTree = (path: string): Promise<void> => rm(path, { recursive: true, force: true });

async function filesystemOf(path: string): Promise<string> {
  const { type } = await statfs(path);
  return type === TMPFS_MAGIC ? 'tmpfs' : `filesystem type 0x${type.toString(16)}`;
}

async function runSize(context: BenchContext, folder: string, assets: number): Promise<ScaleChildOutput> {
  // A fresh folder per run (a size runs more than once): nothing cached from an earlier run.
  const dir = await mkdtemp(join(folder, `scale-${assets}-`));
  const recipe = join(dir, 'scale.yaml');
  await writeFile(recipe, fastRecipe(assets, context.sizes.concurrency));
  const fake = await startFakeProcess(fastSpec(CREATES_PER_MINUTE, context.time));
  try {
    context.log(`S5: ${assets} assets × 1 fast step, \`assetgen run --json\` in a fresh process`);
    const input: ScaleChildInput = {
      dir,
      recipe,
      assets,
      token: fake.token,
      baseUrl: fake.baseUrl,
      createsPerMinute: CREATES_PER_MINUTE,
      concurrency: context.sizes.concurrency,
      cacheDir: join(dir, 'cache'),
      outDir: join(dir, 'out'),
    };
    const before = await cpuTicks();
    const { stdout } = await promisify(execFile)(process.execPath, [CHILD], {
      env: { ...process.env, BENCH_SCALE_INPUT: JSON.stringify(input) },
      maxBuffer: 1024 * 1024,
    });
    const after = await cpuTicks();
    const output = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ScaleChildOutput;
    if (before && after) output.hostSteal = (after.steal - before.steal) / (after.total - before.total || 1);
    if (output.exitCode !== 0 || output.made !== assets)
      throw new Error(
        `S5: the run of ${assets} assets did not finish (exit ${output.exitCode}):\n${output.errors}`,
      );
    return output;
  } finally {
    await fake.close();
  }
}

export async function scale(context: BenchContext): Promise<ScenarioRow[]> {
  const folder = await scaleFolder(context);
  context.log(`S5: runs in ${folder.path} (${folder.filesystem})`);
  try {
    return await scaleRows(context, folder);
  } finally {
    await folder.remove();
  }
}

async function scaleRows(context: BenchContext, folder: ScaleFolder): Promise<ScenarioRow[]> {
  const [small, middle, large] = context.sizes.scale;
  const a = await runSize(context, folder.path, small);
  const b = await runSize(context, folder.path, middle);
  const rows: ScenarioRow[] = [
    {
      id: 'S5',
      title: `Scale: peak RSS of \`assetgen run\` at ${middle} assets (no heap flag)`,
      value: round(peakOf(b) / MB, 1),
      unit: 'MB',
      target: '≤ 300 MB',
      met: peakOf(b) <= 300 * MB,
      summary: `${small} assets: ${mb(peakOf(a))}; ${memory(b)}; ${timing(b)}`,
      details: { filesystem: folder.filesystem, small: a, middle: b },
    },
  ];
  // 100,000 assets take about half an hour: only when S5 is picked (`--only 5`) or in a quick run.
  if (!context.options.quick && !context.options.onlyGiven) {
    context.log(`S5: ${large} assets skipped (npm run bench -- --only 5 runs them)`);
    return rows;
  }
  // The host's speed drifts by a quarter over minutes (measured 2026-12-02: in one 30,000-asset run the
  // tenths took 12.0 to 19.5 ms per asset, CPU time alike), and a small run samples one moment of it: the
  // small size runs again between the others and after the large one, and its median is compared.
  const a2 = await runSize(context, folder.path, small);
  const c = await runSize(context, folder.path, large);
  const a3 = await runSize(context, folder.path, small);
  const smalls = [a, a2, a3];
  const smallSteady = median(smalls.map((run) => run.steadyMsPerAsset));
  const smallCpu = median(smalls.map((run) => run.steadyCpuMsPerAsset));
  // Steady state (10 %–90 % of the assets finished): what one more asset costs, start-up and tail apart.
  const ratio = c.steadyMsPerAsset / smallSteady;
  const cpuRatio = c.steadyCpuMsPerAsset / smallCpu;
  const tenths = c.decileMsPerAsset.slice(1, 9);
  rows.push(
    {
      id: 'S5b',
      title: `Scale: time per asset at ${large} vs ${small} assets (steady state, 10–90 % finished)`,
      value: round(ratio, 2),
      unit: '×',
      target: '0.8–1.2 ×',
      met: ratio >= 0.8 && ratio <= 1.2,
      summary:
        `${small} (median of 3 runs: before, between, after): ${smallSteady.toFixed(2)} ms/asset ` +
        `(${smalls.map((run) => run.steadyMsPerAsset.toFixed(2)).join(', ')}), ` +
        `${middle}: ${b.steadyMsPerAsset.toFixed(2)}, ${large}: ${c.steadyMsPerAsset.toFixed(2)}; ` +
        `the ${large} run's tenths 2–9 ${Math.min(...tenths).toFixed(2)}–${Math.max(...tenths).toFixed(2)} ms/asset ` +
        `(first ${c.decileMsPerAsset[1]?.toFixed(2)}, last ${c.decileMsPerAsset[8]?.toFixed(2)}); ` +
        `CPU per asset (user + system, steady) ${smallCpu.toFixed(2)} ms → ${cpu(c)} (${cpuRatio.toFixed(2)} ×); ` +
        `host steal during the runs ${smalls.map(steal).join(', ')} (${small}), ${steal(b)}, ${steal(c)}; ` +
        `${timing(c)}; on ${folder.filesystem}`,
      details: { filesystem: folder.filesystem, small: smalls, large: c },
    },
    {
      id: 'S5d',
      title: `Scale: peak RSS of \`assetgen run\` at ${large} assets × 1 fast step (no heap flag)`,
      value: round(peakOf(c) / MB, 1),
      unit: 'MB',
      target: '≤ 300 MB',
      met: peakOf(c) <= 300 * MB,
      summary: `${memory(c)}; ${middle} assets: ${mb(peakOf(b))}`,
      details: {},
    },
  );
  return rows;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

const peakOf = (out: ScaleChildOutput): number => Math.max(out.peakRss, out.maxRss);
const cpu = (out: ScaleChildOutput): string =>
  `${out.steadyCpuMsPerAsset.toFixed(2)} ms (system ${out.steadySystemMsPerAsset.toFixed(2)})`;
const steal = (out: ScaleChildOutput): string =>
  out.hostSteal === undefined ? 'n/a' : `${(out.hostSteal * 100).toFixed(0)} %`;
const mb = (bytes: number): string => `${(bytes / MB).toFixed(0)} MB`;
const memory = (out: ScaleChildOutput): string =>
  `start ${mb(out.startRss)}, peak JS heap ${mb(out.peakHeapUsed)} used of ${mb(out.peakHeapTotal)}, ` +
  `outside the heap ≤ ${mb(out.peakNonHeap)}`;
const timing = (out: ScaleChildOutput): string =>
  `first asset after ${seconds(out.firstAssetMs)}, whole run ${seconds(out.totalMs)}, ` +
  `after the last asset ${seconds(out.afterLastMs)}`;
