/**
 * S1 — pipeline efficiency: N assets × 3 model steps at concurrency 32 against the fake, makespan
 * against the lower bound computed from what the fake simulated. The run (its cache and outputs) is
 * memoised: S2 compares against it and S3 re-runs it warm.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Counts } from '../../test/fake-replicate/index.js';
import { startFakeProcess } from '../fake/client.js';
import { type AssetgenRun, runWithAssetgen } from '../lib/assetgen-run.js';
import { chainsOf, type LowerBound, lowerBound } from '../lib/bounds.js';
import { type BenchContext, memo, round, type ScenarioRow, seconds } from '../lib/context.js';
import { pipelineRecipe, pipelineSpec, type WorkloadTime, workloadTime } from '../lib/workload.js';

/** Creates per simulated minute for S1/S2: a raised account limit, so that concurrency is the bound. */
export const PIPELINE_CREATES_PER_MINUTE = 3_000;

export interface PipelineRun {
  dir: string;
  recipe: string;
  cacheDir: string;
  outDir: string;
  run: AssetgenRun;
  bound: LowerBound;
  counts: Counts;
  predictions: number;
}

export function pipelineRun(
  context: BenchContext,
  createsPerMinute = PIPELINE_CREATES_PER_MINUTE,
  time: WorkloadTime = context.time,
): Promise<PipelineRun> {
  const name = `pipeline-${createsPerMinute}-${time.unitMs}ms`;
  return memo(context, name, async () => {
    const { pipelineAssets, concurrency } = context.sizes;
    const dir = join(context.workDir, name);
    await mkdir(dir, { recursive: true });
    const recipe = join(dir, 'pipeline.yaml');
    await writeFile(recipe, pipelineRecipe(pipelineAssets, concurrency));
    const fake = await startFakeProcess(pipelineSpec(createsPerMinute, time));
    try {
      context.log(
        `assetgen: ${pipelineAssets} assets × 3 steps at concurrency ${concurrency}, ${createsPerMinute} creates/min, unit ${time.unitMs} ms`,
      );
      const cacheDir = join(dir, 'cache');
      const outDir = join(dir, 'out');
      const run = await runWithAssetgen({
        recipe,
        server: fake,
        time,
        createsPerMinute,
        cacheDir,
        outDir,
      });
      const predictions = await fake.predictions();
      const bound = lowerBound(predictions, chainsOf(run.result), {
        concurrency,
        createsPerMinute,
        timeScale: time.timeScale,
        unitMs: time.unitMs,
      });
      return {
        dir,
        recipe,
        cacheDir,
        outDir,
        run,
        bound,
        counts: await fake.counts(),
        predictions: predictions.length,
      };
    } finally {
      await fake.close();
    }
  });
}

/** assetgen's own CPU per prediction and how busy the machine was, for the summaries. */
function cpuNote(run: AssetgenRun, predictions: number): string {
  const perPrediction = run.cpuMs / predictions;
  return `assetgen CPU ${perPrediction.toFixed(1)} ms/prediction, machine ${(run.machineBusy * 100).toFixed(0)} % busy`;
}

export async function pipelineEfficiency(context: BenchContext): Promise<ScenarioRow[]> {
  const { run, bound, counts, predictions } = await pipelineRun(context);
  const ratio = run.runMs / bound.boundMs;
  const apiRequests = counts.total - counts.download;
  // The same workload twice as fast: model time shrinks, the CPU per prediction does not.
  const stressTime = workloadTime(context.time.unitMs / 2);
  const stress = await pipelineRun(context, PIPELINE_CREATES_PER_MINUTE, stressTime);
  const stressRatio = stress.run.runMs / stress.bound.boundMs;
  return [
    {
      id: 'S1',
      title: 'Pipeline efficiency (makespan / lower bound)',
      value: round(ratio, 3),
      unit: '×',
      target: '≤ 1.05',
      met: ratio <= 1.05 && run.result.failed === 0,
      summary:
        `${seconds(run.runMs)} vs bound ${seconds(bound.boundMs)} (${bound.limitedBy}; ` +
        `chain ${seconds(bound.longestChainMs)}, rate ${seconds(bound.rateMs)}), ` +
        `${predictions} predictions, ${bound.coldStarts} cold, ${run.result.failed} failed; ${cpuNote(run, predictions)}`,
      details: {
        makespanMs: round(run.runMs, 1),
        planMs: round(run.planMs, 1),
        manifestMs: round(run.manifestMs, 1),
        cpuMs: round(run.cpuMs, 0),
        machineBusy: round(run.machineBusy, 3),
        bound,
        made: run.result.made,
        failed: run.result.failed,
        predictions,
        apiRequestsPerPrediction: round(apiRequests / predictions, 3),
        counts,
        warnings: run.warnings.slice(0, 5),
      },
    },
    {
      id: 'S1b',
      title: `Pipeline efficiency at ${stressTime.unitMs} ms units (stress: twice the rate)`,
      value: round(stressRatio, 3),
      unit: '×',
      target: '',
      met: null,
      summary:
        `${seconds(stress.run.runMs)} vs bound ${seconds(stress.bound.boundMs)}, ` +
        `${stress.run.result.failed} failed; ${cpuNote(stress.run, stress.predictions)}`,
      details: {
        makespanMs: round(stress.run.runMs, 1),
        cpuMs: round(stress.run.cpuMs, 0),
        machineBusy: round(stress.run.machineBusy, 3),
        bound: stress.bound,
      },
    },
  ];
}
