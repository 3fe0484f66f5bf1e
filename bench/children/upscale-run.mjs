/**
 * Child process of S11: one upscale by the local provider of the compiled library (dist/, the worker
 * threads as installed users get them), with the upscaler named in BENCH_UPSCALE_INPUT. Prints one JSON
 * line: the time of the first upscale (workers started and loaded on the way), of a second one on the
 * same workers, the process's peak RSS (worker threads included) and the PSNR against a reference.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';

const dist = new URL('../../dist/', import.meta.url);
const load = (path) => import(new URL(path, dist).href);
const [{ createLocalProvider, resolveLocalUpscaler }, { createCatalog }] = await Promise.all([
  load('providers/local/index.js'),
  load('models/catalog.js'),
]);

const input = JSON.parse(process.env.BENCH_UPSCALE_INPUT ?? '{}');
const catalog = createCatalog().get('nightmareai/real-esrgan');
const upscaler = await resolveLocalUpscaler(input.method);
if (upscaler.name !== input.method)
  throw new Error(`${input.method} is not available: ${upscaler.fallback ?? ''}`);
const provider = createLocalProvider({ upscaler, workers: input.workers });
const work = await mkdtemp(join(tmpdir(), 'assetgen-bench-upscale-'));

async function once() {
  const workDir = await mkdtemp(join(work, 'task-'));
  const started = performance.now();
  const result = await provider.predict({
    model: 'nightmareai/real-esrgan',
    catalog,
    input: { image: input.image, scale: input.scale },
    workDir,
    taskKey: 'bench',
    label: { recipe: 'bench', asset: 'photo', step: 'upscale' },
    signal: new AbortController().signal,
  });
  return { ms: performance.now() - started, path: result.files[0].path };
}

function psnr(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

try {
  const first = await once();
  const second = await once();
  let quality = null;
  if (input.truth !== undefined) {
    const made = await sharp(await readFile(second.path))
      .removeAlpha()
      .raw()
      .toBuffer();
    const truth = await sharp(input.truth).removeAlpha().raw().toBuffer();
    quality = psnr(made, truth);
  }
  const meta = await sharp(second.path).metadata();
  console.log(
    JSON.stringify({
      firstMs: first.ms,
      secondMs: second.ms,
      width: meta.width,
      height: meta.height,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      psnr: quality,
    }),
  );
} finally {
  await provider.close();
  await rm(work, { recursive: true, force: true });
}
