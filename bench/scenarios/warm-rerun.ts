/**
 * S3 — warm re-run: S1's recipe again through `assetgen run` (in-process CLI, same cache and output
 * folder) against a fresh fake. Everything is cached, so the run must make zero requests.
 */
import { dirname } from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';
import { startFakeProcess } from '../fake/client.js';
import { type BenchContext, round, type ScenarioRow } from '../lib/context.js';
import { pipelineSpec } from '../lib/workload.js';
import { PIPELINE_CREATES_PER_MINUTE, pipelineRun } from './pipeline.js';

export async function warmRerun(context: BenchContext): Promise<ScenarioRow[]> {
  const first = await pipelineRun(context);
  const fake = await startFakeProcess(pipelineSpec(PIPELINE_CREATES_PER_MINUTE, context.time));
  const err: string[] = [];
  const io: CliIO = {
    out: () => {},
    err: (text) => err.push(text),
    isTTY: false,
    env: { REPLICATE_API_TOKEN: fake.token, REPLICATE_API_BASE_URL: fake.baseUrl },
    cwd: dirname(first.recipe),
  };
  const assets = context.sizes.pipelineAssets;
  try {
    context.log(`S3: warm re-run of ${assets} cached assets (assetgen run, in-process)`);
    const started = performance.now();
    const code = await main(
      ['run', first.recipe, '--out', first.outDir, '--cache-dir', first.cacheDir, '--quiet'],
      io,
    );
    const wallMs = performance.now() - started;
    const counts = await fake.counts();
    const done = err.find((line) => line.startsWith('done:')) ?? err.at(-1) ?? '';
    const ok = code === 0 && counts.total === 0 && wallMs < 2000;
    return [
      {
        id: 'S3',
        title: `Warm re-run of ${assets} cached assets`,
        value: round(wallMs / 1000, 3),
        unit: 's',
        target: '< 2 s, 0 requests',
        met: ok,
        summary: `${counts.total} requests, ${((wallMs / assets) * 1000).toFixed(0)} µs per asset, exit ${code}; ${done}`,
        details: {
          wallMs: round(wallMs, 1),
          requests: counts.total,
          exitCode: code,
          perAssetMs: round(wallMs / assets, 3),
          stderr: err.slice(-3),
        },
      },
    ];
  } finally {
    await fake.close();
  }
}
