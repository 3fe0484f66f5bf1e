/**
 * Web-ready outputs in the manifest: every output carries a ThumbHash and an LQIP made from its own
 * pixels (the same bytes on a re-run, kept in the cache and added to records of older caches), every
 * recipe output per image a srcset group, and the asset an alt text rendered from a text step.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { thumbHashToApproximateAspectRatio, thumbHashToRGBA } from 'thumbhash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlaceholder } from '../../src/image/index.js';
import { type Manifest, readManifest, runRecipes } from '../../src/index.js';
import { srcsetOf } from '../../src/manifest/output-groups.js';
import { manifestValidator } from '../helpers/manifest.js';

const RECIPE = `name: cards
output: site/cards
alt: "Card for {{ id }}: {{ steps.caption.text | trim }}"
assets:
  - id: autumn
    subject: a maple leaf
steps:
  - id: caption
    model: meta/meta-llama-3-70b-instruct
    input: { prompt: "Describe {{ subject }} in one sentence." }
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", aspect_ratio: "16:9", megapixels: "0.25" }
outputs:
  - path: "{{ id }}-{{ width }}.webp"
    widths: [160, 80]
  - path: "{{ id }}.png"
`;

describe('web-ready outputs', () => {
  let dir: string;
  let manifest: Manifest;
  let text: string;
  const run = () => runRecipes(['cards.yaml'], { cwd: dir, out: 'out', cacheDir: 'cache' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-web-'));
    await writeFile(join(dir, 'cards.yaml'), RECIPE);
    expect((await run()).status).toBe('ok');
    text = await readFile(join(dir, 'out', 'manifest.json'), 'utf8');
    manifest = await readManifest(join(dir, 'out'));
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const asset = () => manifest.recipes.cards?.assets[0];

  it('the manifest validates, with a ThumbHash and an LQIP per output made from that file', async () => {
    expect(manifestValidator()(JSON.parse(text))).toEqual([]);
    const outputs = asset()?.outputs ?? [];
    expect(outputs.map((output) => output.path)).toEqual([
      'site/cards/autumn-160.webp',
      'site/cards/autumn-80.webp',
      'site/cards/autumn.png',
    ]);
    for (const output of outputs) {
      const hash = Buffer.from(output.thumbhash ?? '', 'base64');
      expect(hash.length).toBeGreaterThan(4);
      expect(hash.length).toBeLessThan(30);
      const decoded = thumbHashToRGBA(hash);
      expect(Math.max(decoded.w, decoded.h)).toBeLessThanOrEqual(32);
      expect(thumbHashToApproximateAspectRatio(hash)).toBeCloseTo(output.width / output.height, 0);
      // The decoded hash looks like the file: its average colour is close to the file's.
      const stats = await sharp(join(dir, 'out', output.path)).stats();
      const mean = (channel: number) =>
        decoded.rgba.filter((_, i) => i % 4 === channel).reduce((a, b) => a + b, 0) / (decoded.w * decoded.h);
      for (const channel of [0, 1, 2])
        expect(Math.abs(mean(channel) - (stats.channels[channel]?.mean ?? 0))).toBeLessThan(40);

      expect(output.lqip).toMatch(/^data:image\/webp;base64,/);
      const lqip = Buffer.from(output.lqip?.split(',')[1] ?? '', 'base64');
      expect(lqip.length).toBeLessThan(400);
      const meta = await sharp(lqip).metadata();
      expect(meta.format).toBe('webp');
      expect(Math.max(meta.width, meta.height)).toBe(16);
      expect(meta.width / meta.height).toBeCloseTo(output.width / output.height, 0);
      // Deterministic: made again from the written file, the same bytes.
      expect(await makePlaceholder(join(dir, 'out', output.path))).toEqual({
        thumbhash: output.thumbhash,
        lqip: output.lqip,
      });
    }
  });

  it('groups each recipe output per image with a ready srcset, narrowest first', () => {
    expect(asset()?.groups).toEqual([
      {
        output: 0,
        image: 1,
        format: 'webp',
        paths: ['site/cards/autumn-80.webp', 'site/cards/autumn-160.webp'],
        srcset: 'site/cards/autumn-80.webp 80w, site/cards/autumn-160.webp 160w',
      },
      {
        output: 1,
        image: 1,
        format: 'png',
        paths: ['site/cards/autumn.png'],
        srcset: `site/cards/autumn.png ${asset()?.outputs[2]?.width}w`,
      },
    ]);
  });

  it('escapes what would break a srcset in its URLs', () => {
    const files = [
      { path: 'a b/c,d#1.webp', width: 20 },
      { path: 'plain/x-1_2.webp', width: 10 },
    ];
    expect(srcsetOf(files)).toBe('plain/x-1_2.webp 10w, a%20b/c%2Cd%231.webp 20w');
  });

  it('renders alt from the text step, after it ran', () => {
    const caption = asset()?.steps.find((step) => step.id === 'caption');
    const said = caption?.kind === 'model' ? caption.text : undefined;
    expect(said?.length).toBeGreaterThan(3);
    expect(asset()?.alt).toBe(`Card for autumn: ${said?.trim()}`);
  });

  it('a re-run is all cached and writes the same manifest; an older cache gets its placeholders added', async () => {
    const again = await run();
    expect(again.status).toBe('ok');
    const strip = (value: string) =>
      value.replace(/"duration_ms": \d+/g, '').replace(/"cache_hit": \w+/g, '');
    const rerun = await readFile(join(dir, 'out', 'manifest.json'), 'utf8');
    expect(strip(rerun)).toBe(strip(text));

    // Records written before assetgen made placeholders: the encode is a cache hit, the placeholder is
    // made from the cached file and stored in the record.
    const records = await outputRecords(join(dir, 'cache'));
    expect(records.length).toBe(3);
    for (const file of records) {
      const record = JSON.parse(await readFile(file, 'utf8'));
      expect(record.image.thumbhash).toEqual(expect.any(String));
      delete record.image.thumbhash;
      delete record.image.lqip;
      await writeFile(file, JSON.stringify(record));
    }
    expect((await run()).status).toBe('ok');
    expect(strip(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'))).toBe(strip(text));
    for (const file of records)
      expect(JSON.parse(await readFile(file, 'utf8')).image.lqip).toMatch(/^data:image\/webp/);
  }, 60_000);
});

async function outputRecords(cache: string): Promise<string[]> {
  const found: string[] = [];
  const tasks = join(cache, 'tasks');
  for (const shard of await readdir(tasks)) {
    for (const name of await readdir(join(tasks, shard))) {
      const file = join(tasks, shard, name);
      if (JSON.parse(await readFile(file, 'utf8')).kind === 'output') found.push(file);
    }
  }
  return found;
}
