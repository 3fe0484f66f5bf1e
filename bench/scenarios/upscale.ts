/**
 * S11 — offline upscaling: the local provider's ESRGAN against its lanczos3 resize, 256→512 and
 * 512→1024, each upscale in a fresh child process (children/upscale-run.mjs, compiled dist/) so that
 * peak memory is its own; the two upscalers alternate. Time is the second upscale on the same workers
 * (the first, which starts and loads them, is in the details); PSNR where a reference exists: the real
 * SDXL photo (../shared/replicate-recorded/ beside the repository, or BENCH_PHOTO) downscaled ×2 with
 * lanczos3 for 256→512, and always the committed 256² crop of it downscaled ×2 (S11c, 128→256).
 */
import { execFile } from 'node:child_process';
import { access, mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { type BenchContext, round, type ScenarioRow, seconds } from '../lib/context.js';
import { median } from '../lib/stats.js';

const CHILD = fileURLToPath(new URL('../children/upscale-run.mjs', import.meta.url));
const SHARED_PHOTO = fileURLToPath(
  new URL('../../../shared/replicate-recorded/sdxl-out-0.png', import.meta.url),
);
const FIXTURE = fileURLToPath(new URL('../../test/fixtures/photos/corgi-256.png', import.meta.url));
const MB = 2 ** 20;

type Method = 'esrgan' | 'lanczos';

interface ChildOutput {
  firstMs: number;
  secondMs: number;
  width: number;
  height: number;
  maxRssBytes: number;
  psnr: number | null;
}

interface Case {
  name: string;
  image: string;
  truth?: string;
}

async function runChild(method: Method, sample: Case): Promise<ChildOutput> {
  const input = {
    method,
    image: sample.image,
    truth: sample.truth,
    scale: 2,
    workers: availableParallelism(),
  };
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD], {
    env: { ...process.env, BENCH_UPSCALE_INPUT: JSON.stringify(input) },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as ChildOutput;
}

/** The pictures: the photo's ×2 downscale (256², with the photo as reference) and the photo (512²). */
async function cases(dir: string): Promise<{ small: Case; large: Case; crop: Case; source: string }> {
  const wanted = process.env.BENCH_PHOTO ?? SHARED_PHOTO;
  const photo = await access(wanted).then(
    () => wanted,
    () => undefined,
  );
  const cropHalf = join(dir, 'crop-half.png');
  await sharp(FIXTURE).resize(128, 128, { kernel: 'lanczos3' }).png().toFile(cropHalf);
  const crop: Case = { name: '128→256', image: cropHalf, truth: FIXTURE };
  const half = join(dir, 'half.png');
  if (photo !== undefined) {
    await sharp(photo).resize(256, 256, { kernel: 'lanczos3' }).png().toFile(half);
    return {
      small: { name: '256→512', image: half, truth: photo },
      large: { name: '512→1024', image: photo },
      crop,
      source: photo,
    };
  }
  // Without ../shared: the committed crop, enlarged for the 512² case (no reference there).
  const large = join(dir, 'large.png');
  await sharp(FIXTURE).resize(512, 512, { kernel: 'lanczos3' }).png().toFile(large);
  await sharp(FIXTURE).resize(256, 256).png().toFile(half);
  return {
    small: { name: '256→512', image: half },
    large: { name: '512→1024', image: large },
    crop,
    source: 'test/fixtures/photos/corgi-256.png (no reference: PSNR n/a)',
  };
}

export async function upscaling(context: BenchContext): Promise<ScenarioRow[]> {
  const dir = join(context.workDir, 'upscale');
  await mkdir(dir, { recursive: true });
  const { small, large, crop, source } = await cases(dir);
  const repeats = context.options.quick ? 1 : 3;
  const rows: ScenarioRow[] = [];
  for (const [suffix, sample] of [
    ['', small],
    ['b', large],
    ['c', crop],
  ] as const) {
    const runs: Record<Method, ChildOutput[]> = { esrgan: [], lanczos: [] };
    for (let i = 0; i < repeats; i++) {
      for (const method of ['lanczos', 'esrgan'] as const) {
        context.log(`S11${suffix}: ${sample.name} ${method} (${i + 1}/${repeats}), fresh process`);
        runs[method].push(await runChild(method, sample));
      }
    }
    const summary = (method: Method) => {
      const outs = runs[method];
      return {
        ms: median(outs.map((o) => o.secondMs)),
        firstMs: median(outs.map((o) => o.firstMs)),
        peakRssMb: round(Math.max(...outs.map((o) => o.maxRssBytes)) / MB, 0),
        psnr: outs[0]?.psnr === null || outs[0]?.psnr === undefined ? null : round(outs[0].psnr, 2),
        size: `${outs[0]?.width}x${outs[0]?.height}`,
      };
    };
    const esrgan = summary('esrgan');
    const lanczos = summary('lanczos');
    const gain = esrgan.psnr === null || lanczos.psnr === null ? null : round(esrgan.psnr - lanczos.psnr, 2);
    const psnrText =
      gain === null ? 'PSNR n/a (no reference)' : `PSNR ${esrgan.psnr} vs ${lanczos.psnr} dB (+${gain})`;
    rows.push({
      id: `S11${suffix}`,
      title: `offline upscale ${sample.name}: ESRGAN vs lanczos3`,
      value: gain ?? round(esrgan.ms / lanczos.ms, 1),
      unit: gain === null ? '× time' : 'dB',
      target: gain === null ? '' : '≥ 1 dB over lanczos3',
      met: gain === null ? null : gain >= 1,
      summary:
        `ESRGAN ${seconds(esrgan.ms)} (first ${seconds(esrgan.firstMs)}), peak ${esrgan.peakRssMb} MB; ` +
        `lanczos ${seconds(lanczos.ms)}, peak ${lanczos.peakRssMb} MB; ${psnrText}`,
      details: { source, workers: availableParallelism(), repeats, esrgan, lanczos },
    });
  }
  return rows;
}
