/**
 * The hand-written baseline for S2: what a careful user writes with the `replicate` SDK, following its
 * README — `replicate.run()` with its default waiting (`Prefer: wait`, then polling every 500 ms),
 * `useFileOutput: false`, `p-limit` for concurrency — stage after stage: every generation, then every
 * upscale (fed the previous output URL), then every background removal, whose result is downloaded.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import Replicate from 'replicate';

export interface StageScriptOptions {
  token: string;
  baseUrl: string;
  assets: readonly { id: string; subject: string }[];
  concurrency: number;
  outDir: string;
  models: { generate: string; upscale: string; cutout: string };
}

export interface StageScriptResult {
  wallMs: number;
  stageMs: number[];
  failed: number;
}

const firstUrl = (output: unknown): string => {
  const value = Array.isArray(output) ? output[0] : output;
  if (typeof value !== 'string') throw new Error(`unexpected output ${JSON.stringify(output)}`);
  return value;
};

export async function runStageScript(options: StageScriptOptions): Promise<StageScriptResult> {
  const replicate = new Replicate({ auth: options.token, baseUrl: options.baseUrl, useFileOutput: false });
  const limit = pLimit(options.concurrency);
  await mkdir(options.outDir, { recursive: true });
  const started = performance.now();
  const stageMs: number[] = [];
  let failed = 0;
  const stage = async <T, R>(items: readonly T[], work: (item: T, index: number) => Promise<R>) => {
    const stageStarted = performance.now();
    const results = await Promise.allSettled(items.map((item, index) => limit(() => work(item, index))));
    stageMs.push(performance.now() - stageStarted);
    failed += results.filter((r) => r.status === 'rejected').length;
    return results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
  };

  const generated = await stage(options.assets, async (asset) =>
    firstUrl(
      await replicate.run(options.models.generate as `${string}/${string}`, {
        input: { prompt: `a studio photo of ${asset.subject}`, megapixels: '0.25', output_format: 'png' },
      }),
    ),
  );
  const upscaled = await stage(generated, async (image) =>
    image === undefined
      ? undefined
      : firstUrl(
          await replicate.run(options.models.upscale as `${string}/${string}:${string}`, {
            input: { image, scale: 2 },
          }),
        ),
  );
  await stage(upscaled, async (image, index) => {
    if (image === undefined) return;
    const url = firstUrl(
      await replicate.run(options.models.cutout as `${string}/${string}:${string}`, { input: { image } }),
    );
    const response = await fetch(url);
    if (!response.ok) throw new Error(`download failed: HTTP ${response.status}`);
    const id = options.assets[index]?.id ?? String(index);
    await writeFile(join(options.outDir, `${id}.png`), Buffer.from(await response.arrayBuffer()));
  });
  return { wallMs: performance.now() - started, stageMs, failed };
}
