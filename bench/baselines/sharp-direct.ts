/**
 * The hand-written baseline for S4: the same operations as the bench recipe, calling sharp directly with
 * the same parallelism — per picture one pipeline (trim, resize into 800², raw pixels kept in memory),
 * then one encode per output file (webp and avif at two widths), every job through one p-limit.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import pLimit from 'p-limit';
import sharp from 'sharp';

export interface DirectOutput {
  format: 'webp' | 'avif';
  width: number;
  options: { quality: number; effort?: number };
}

export interface DirectOptions {
  sources: readonly { id: string; path: string }[];
  outputs: readonly DirectOutput[];
  /** The square the trimmed picture is fitted into (fit: contain, white). */
  box: number;
  parallelism: number;
  outDir: string;
}

export async function runSharpDirect(options: DirectOptions): Promise<{ wallMs: number; files: number }> {
  const limit = pLimit(options.parallelism);
  await mkdir(options.outDir, { recursive: true });
  const started = performance.now();
  let files = 0;
  await Promise.all(
    options.sources.map(async (source) => {
      const { data, info } = await limit(() =>
        sharp(source.path, { autoOrient: true })
          .trim({ threshold: 10 })
          .resize({
            width: options.box,
            height: options.box,
            fit: 'contain',
            background: '#ffffff',
            kernel: 'lanczos3',
          })
          .raw()
          .toBuffer({ resolveWithObject: true }),
      );
      const raw = { width: info.width, height: info.height, channels: info.channels };
      await Promise.all(
        options.outputs.map((output) =>
          limit(async () => {
            const resized = sharp(data, { raw }).resize({ width: output.width, kernel: 'lanczos3' });
            const encoded =
              output.format === 'webp' ? resized.webp(output.options) : resized.avif(output.options);
            await encoded.toFile(join(options.outDir, `${source.id}-${output.width}w.${output.format}`));
            files += 1;
          }),
        ),
      );
    }),
  );
  return { wallMs: performance.now() - started, files };
}
