/**
 * S2 — against the hand-written script: the S1 workload run stage by stage with the SDK's `run()` and
 * p-limit (baselines/sdk-stages.ts) on a fresh fake; assetgen's speed-up and both sides' requests per
 * prediction from the fake's counts.
 */
import { join } from 'node:path';
import type { Counts } from '../../test/fake-replicate/index.js';
import { runStageScript } from '../baselines/sdk-stages.js';
import { startFakeProcess } from '../fake/client.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { assetId, MODELS, pipelineSpec, VERSIONS } from '../lib/workload.js';
import { PIPELINE_CREATES_PER_MINUTE, pipelineRun } from './pipeline.js';

const apiRequests = (counts: Counts): number => counts.total - counts.download - counts.fileDownload;

export async function sdkScript(context: BenchContext): Promise<ScenarioRow[]> {
  const ours = await pipelineRun(context);
  const { pipelineAssets, concurrency } = context.sizes;
  const fake = await startFakeProcess(pipelineSpec(PIPELINE_CREATES_PER_MINUTE, context.time));
  let script: Awaited<ReturnType<typeof runStageScript>>;
  let counts: Counts;
  let predictions: number;
  try {
    context.log(`S2: SDK script, same workload, stage by stage`);
    script = await runStageScript({
      token: fake.token,
      baseUrl: fake.baseUrl,
      assets: Array.from({ length: pipelineAssets }, (_, i) => ({
        id: assetId(i),
        subject: `object number ${i}`,
      })),
      concurrency,
      outDir: join(context.workDir, 'sdk-script-out'),
      models: {
        generate: MODELS.generate,
        upscale: `${MODELS.upscale}:${VERSIONS[MODELS.upscale]}`,
        cutout: `${MODELS.cutout}:${VERSIONS[MODELS.cutout]}`,
      },
    });
    counts = await fake.counts();
    predictions = (await fake.predictions()).length;
  } finally {
    await fake.close();
  }
  const speedUp = script.wallMs / ours.run.runMs;
  const oursPer = apiRequests(ours.counts) / ours.predictions;
  const theirsPer = apiRequests(counts) / predictions;
  const oursAll = ours.counts.total / ours.predictions;
  const theirsAll = counts.total / predictions;
  return [
    {
      id: 'S2',
      title: 'Speed-up over a stage-by-stage SDK script',
      value: round(speedUp, 3),
      unit: '×',
      target: '≥ 1.5',
      met: speedUp >= 1.5 && script.failed === 0,
      summary:
        `script ${seconds(script.wallMs)} (stages ${script.stageMs.map((ms) => seconds(ms)).join(' + ')}, ` +
        `${script.failed} failed) vs assetgen ${seconds(ours.run.runMs)}`,
      details: {
        scriptMs: round(script.wallMs, 1),
        stageMs: script.stageMs.map((ms) => round(ms, 1)),
        assetgenMs: round(ours.run.runMs, 1),
        scriptFailed: script.failed,
      },
    },
    {
      id: 'S2b',
      title: 'API requests per prediction (assetgen / script)',
      value: round(oursPer, 3),
      unit: 'req',
      target: '≤ 1.3',
      met: oursPer <= 1.3,
      summary:
        `assetgen ${oursPer.toFixed(2)} API (${oursAll.toFixed(2)} with downloads), ` +
        `script ${theirsPer.toFixed(2)} API (${theirsAll.toFixed(2)} with downloads)`,
      details: {
        assetgen: { counts: ours.counts, predictions: ours.predictions },
        script: { counts, predictions },
      },
    },
  ];
}
