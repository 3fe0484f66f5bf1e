/**
 * S2 — against the hand-written script: the S1 workload run stage by stage with the SDK's `run()` and
 * p-limit (baselines/sdk-stages.ts) on a fresh fake; assetgen's speed-up and both sides' requests per
 * prediction from the fake's counts; then both again at Replicate's default limit of 600 creates/min.
 */
import { join } from 'node:path';
import type { Counts } from '../../test/fake-replicate/index.js';
import { runStageScript } from '../baselines/sdk-stages.js';
import { startFakeProcess } from '../fake/client.js';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { assetId, DEFAULT_CREATES_PER_MINUTE, MODELS, pipelineSpec, VERSIONS } from '../lib/workload.js';
import { PIPELINE_CREATES_PER_MINUTE, pipelineRun } from './pipeline.js';

const apiRequests = (counts: Counts): number => counts.total - counts.download - counts.fileDownload;

interface ScriptRun {
  wallMs: number;
  stageMs: number[];
  failed: number;
  counts: Counts;
  predictions: number;
}

async function runScript(context: BenchContext, createsPerMinute: number): Promise<ScriptRun> {
  const { pipelineAssets, concurrency } = context.sizes;
  const fake = await startFakeProcess(pipelineSpec(createsPerMinute, context.time));
  try {
    context.log(`SDK script: same workload, stage by stage, ${createsPerMinute} creates/min`);
    const script = await runStageScript({
      token: fake.token,
      baseUrl: fake.baseUrl,
      assets: Array.from({ length: pipelineAssets }, (_, i) => ({
        id: assetId(i),
        subject: `object number ${i}`,
      })),
      concurrency,
      outDir: join(context.workDir, `sdk-script-out-${createsPerMinute}`),
      models: {
        generate: MODELS.generate,
        upscale: `${MODELS.upscale}:${VERSIONS[MODELS.upscale]}`,
        cutout: `${MODELS.cutout}:${VERSIONS[MODELS.cutout]}`,
      },
    });
    return { ...script, counts: await fake.counts(), predictions: (await fake.predictions()).length };
  } finally {
    await fake.close();
  }
}

export async function sdkScript(context: BenchContext): Promise<ScenarioRow[]> {
  const ours = await pipelineRun(context);
  const script = await runScript(context, PIPELINE_CREATES_PER_MINUTE);
  const { counts, predictions } = script;
  const speedUp = script.wallMs / ours.run.runMs;
  const oursPer = apiRequests(ours.counts) / ours.predictions;
  const theirsPer = apiRequests(counts) / predictions;
  const oursAll = ours.counts.total / ours.predictions;
  const theirsAll = counts.total / predictions;
  // The same comparison at Replicate's default create limit (600/min), where the rate limit is the bound.
  const limitedOurs = await pipelineRun(context, DEFAULT_CREATES_PER_MINUTE);
  const limitedScript = await runScript(context, DEFAULT_CREATES_PER_MINUTE);
  const assets = context.sizes.pipelineAssets;
  const limitedRatio = limitedOurs.run.runMs / limitedOurs.bound.boundMs;
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
    {
      id: 'S2c',
      title: `At 600 creates/min: assetgen makespan / rate bound, failed tasks`,
      value: round(limitedRatio, 3),
      unit: '×',
      target: '',
      met: null,
      summary:
        `assetgen ${seconds(limitedOurs.run.runMs)} (bound ${seconds(limitedOurs.bound.boundMs)}, ${limitedOurs.bound.limitedBy}), ` +
        `${limitedOurs.run.result.failed}/${assets} assets failed, ${limitedOurs.counts.create} creates; ` +
        `script ${seconds(limitedScript.wallMs)}, ${limitedScript.failed} tasks failed, ${limitedScript.counts.create} creates`,
      details: {
        assetgen: {
          runMs: round(limitedOurs.run.runMs, 1),
          bound: limitedOurs.bound,
          failed: limitedOurs.run.result.failed,
          counts: limitedOurs.counts,
          warnings: limitedOurs.run.warnings.slice(0, 5),
        },
        script: {
          wallMs: round(limitedScript.wallMs, 1),
          failed: limitedScript.failed,
          stageMs: limitedScript.stageMs.map((ms) => round(ms, 1)),
          counts: limitedScript.counts,
        },
      },
    },
  ];
}
