/**
 * An offline upscale of an offline placeholder draws the placeholder again at the new size (from the mark
 * in its file) instead of running a network over a synthetic picture; any other picture, or a marked file
 * whose pixels no longer have the marked size, is upscaled as before. The mark never reaches the files in
 * the output folder (it holds the prompt).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { runRecipes } from '../../../src/api/run.js';
import { createLocalProvider } from '../../../src/providers/local/index.js';
import { renderPlaceholder } from '../../../src/providers/local/placeholder.js';
import { readPlaceholderMark } from '../../../src/providers/local/placeholder-mark.js';
import type { InputFile, ProviderEvent } from '../../../src/providers/types.js';
import { inputFile as file, request, workDirs } from './helpers.js';

const dirs = workDirs();
afterAll(() => dirs.cleanup());
const ESRGAN = 'nightmareai/real-esrgan';
const FLUX = 'black-forest-labs/flux-schnell';
const PROMPT = 'a glazed ceramic mug on a seamless backdrop';

/** A placeholder from the text-to-image stand-in, as a file. */
async function drawnPlaceholder(): Promise<string> {
  const result = await createLocalProvider().predict(
    request(FLUX, { prompt: PROMPT, seed: 7, aspect_ratio: '1:1', megapixels: '0.25' }, await dirs.make()),
  );
  const path = result.files[0]?.path;
  if (path === undefined) throw new Error('no placeholder');
  return path;
}

async function upscaled(input: InputFile, scale: number) {
  const logs: string[] = [];
  const onEvent = (event: ProviderEvent) => {
    if (event.type === 'log') logs.push(event.text);
  };
  const result = await createLocalProvider().predict(
    request(ESRGAN, { image: input, scale }, await dirs.make(), { onEvent }),
  );
  const path = result.files[0]?.path ?? '';
  return { path, logs, meta: await sharp(path).metadata() };
}

const rgba = async (path: string) => (await sharp(path).ensureAlpha().raw().toBuffer()).toString('base64');

describe('upscaling an offline placeholder', () => {
  it('marks the placeholder with what it was drawn from', async () => {
    const path = await drawnPlaceholder();
    const { xmp } = await sharp(path).metadata();
    expect(readPlaceholderMark(xmp?.toString('utf8'))).toEqual({
      prompt: PROMPT,
      seed: 7,
      width: 512,
      height: 512,
      label: 'flux-schnell',
    });
  });

  it('draws it again at the new size, pixel for pixel what the stand-in draws at that size', async () => {
    const placeholder = await drawnPlaceholder();
    const { path, logs, meta } = await upscaled(file(placeholder), 2);
    expect(meta).toMatchObject({ format: 'png', width: 1024, height: 1024 });
    expect(logs.join('\n')).toContain('drawn again at 1024x1024');
    const expected = renderPlaceholder({
      prompt: PROMPT,
      seed: 7,
      width: 1024,
      height: 1024,
      label: 'flux-schnell',
    });
    const drawn = await sharp(expected.data, { raw: { width: 1024, height: 1024, channels: 4 } })
      .raw()
      .toBuffer();
    expect(await rgba(path)).toBe(drawn.toString('base64'));
    // The result is itself marked, so a second upscale draws again too.
    expect(readPlaceholderMark(meta.xmp?.toString('utf8'))?.width).toBe(1024);
    const again = await upscaled(file(path), 1.5);
    expect(again.meta).toMatchObject({ width: 1536, height: 1536 });
    expect(again.logs.join('\n')).toContain('drawn again');
  });

  it('upscales as before a marked file whose pixels were changed in size, and an unmarked copy', async () => {
    const placeholder = await drawnPlaceholder();
    const dir = await dirs.make();
    const resized = join(dir, 'resized.png');
    await sharp(placeholder).keepXmp().resize(300, 300).png().toFile(resized);
    expect((await sharp(resized).metadata()).xmp).toBeDefined();
    const unmarked = join(dir, 'unmarked.png');
    await writeFile(unmarked, await sharp(placeholder).png().toBuffer());
    for (const input of [resized, unmarked]) {
      const { logs, meta } = await upscaled(file(input), 2);
      expect(logs.join('\n')).not.toContain('drawn again');
      expect(meta.xmp).toBeUndefined();
    }
  });

  it('keeps the mark (and the prompt in it) out of the files written to the output folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-placeholder-up-'));
    try {
      await writeFile(
        join(dir, 'shots.yaml'),
        `name: shots
output: shots
assets:
  - id: mug
steps:
  - id: draft
    model: ${FLUX}
    input: { prompt: "${PROMPT}", aspect_ratio: "1:1", megapixels: "0.25", output_format: png }
  - id: up
    model: ${ESRGAN}
    input: { scale: 2 }
    price: { per_second: 0.000225, typical_seconds: 3 }
outputs:
  - path: "{{ id }}.png"
  - path: "{{ id }}.webp"
`,
      );
      const report = await runRecipes(['shots.yaml'], { cwd: dir, out: 'out', provider: 'local' });
      expect(report.failed).toBe(0);
      for (const name of ['mug.png', 'mug.webp']) {
        const bytes = await readFile(join(dir, 'out', 'shots', name));
        expect(bytes.includes('assetgen.dev/ns/placeholder')).toBe(false);
        expect(bytes.includes('ceramic')).toBe(false);
        expect(await sharp(bytes).metadata()).toMatchObject({ width: 1024, height: 1024 });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
