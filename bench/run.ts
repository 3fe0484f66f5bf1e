/**
 * `npm run bench`: the benchmark suite (see README "Performance"). Runs the selected scenarios once,
 * prints one row per scenario and writes bench/results.json. Ratios are measured inside one run.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, USAGE } from './lib/args.js';
import type { BenchContext, ScenarioRow } from './lib/context.js';
import { formatTable, machine, writeResults } from './lib/report.js';
import { workloadTime } from './lib/workload.js';
import { devLoop } from './scenarios/dev-loop.js';
import { pipelineEfficiency } from './scenarios/pipeline.js';
import { postProcessing } from './scenarios/post-processing.js';
import { lowCreditRows, transientFaultRows } from './scenarios/resilience.js';
import { reviewPage } from './scenarios/review-page.js';
import { scale } from './scenarios/scale.js';
import { sdkScript } from './scenarios/sdk-script.js';
import { shards } from './scenarios/shards.js';
import { startup } from './scenarios/startup.js';
import { upscaling } from './scenarios/upscale.js';
import { warmRerun } from './scenarios/warm-rerun.js';

const SCENARIOS: Record<number, (context: BenchContext) => Promise<ScenarioRow[]>> = {
  1: pipelineEfficiency,
  2: sdkScript,
  3: warmRerun,
  4: postProcessing,
  5: scale,
  6: startup,
  7: reviewPage,
  8: transientFaultRows,
  9: lowCreditRows,
  10: devLoop,
  11: upscaling,
  12: shards,
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }
  const root = fileURLToPath(new URL('../.tmp/', import.meta.url));
  await mkdir(root, { recursive: true });
  const context: BenchContext = {
    options,
    time: workloadTime(options.unitMs),
    workDir: await mkdtemp(join(root, 'bench-')),
    sizes: options.quick
      ? { pipelineAssets: 100, concurrency: 32, images: 20, scale: [500, 2_000, 5_000], starts: 3 }
      : { pipelineAssets: 1_000, concurrency: 32, images: 200, scale: [1_000, 10_000, 100_000], starts: 10 },
    memo: new Map(),
    log: (message) => process.stderr.write(`  … ${message}\n`),
  };
  const m = machine();
  console.log(
    `assetgen bench — ${m.cpus} × ${m.model}, ${m.memoryMb} MB, Node ${process.version}, unit = ${options.unitMs} ms${options.quick ? ', quick' : ''}`,
  );
  const rows: ScenarioRow[] = [];
  const errors: string[] = [];
  try {
    for (const n of [...options.only].sort()) {
      const scenario = SCENARIOS[n];
      if (scenario === undefined) continue;
      try {
        rows.push(...(await scenario(context)));
      } catch (error) {
        const message = `S${n} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
        errors.push(message);
        console.error(message);
      }
    }
  } finally {
    if (!options.keep) await rm(context.workDir, { recursive: true, force: true });
  }
  console.log(`\n${formatTable(rows)}`);
  await writeResults(options, options.unitMs, rows, errors);
  console.log(`\nresults: ${options.resultsPath}`);
  return errors.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
