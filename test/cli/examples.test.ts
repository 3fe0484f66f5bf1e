/**
 * Every example recipe runs offline through the CLI in a temporary folder; the files are decoded and
 * measured, and the manifest validates against its schema.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { runCli } from '../helpers/cli.js';
import { manifestValidator } from '../helpers/manifest.js';

const root = resolve(import.meta.dirname, '../..');
const recipesDir = join(root, 'recipes');
const examples = ['product-shots.yaml', 'blog-heroes.yaml', 'app-icons.yaml'].map((name) =>
  join(recipesDir, name),
);

/** The README's quick-start command after `npx assetgen`, its `recipes/*.yaml` expanded as a shell would. */
async function quickStartArgs(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const command = /^npm ci && npx assetgen ([^#\n]+?)\s*#/m.exec(readme)?.[1];
  if (command === undefined) throw new Error('README has no quick-start command');
  const yaml = (await readdir(recipesDir)).filter((name) => name.endsWith('.yaml')).sort();
  return command
    .split(/\s+/)
    .flatMap((word) => (word === 'recipes/*.yaml' ? yaml.map((name) => join(recipesDir, name)) : [word]));
}

describe('example recipes, offline', () => {
  let dir: string;
  let manifest: Manifest;
  let first: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-examples-'));
    // The README's first command, as written, on a machine where CI is set (as .ci/run does).
    const args = await quickStartArgs();
    expect(args.slice(0, 4)).toEqual(['run', ...examples.map(() => expect.stringMatching(/\.yaml$/))]);
    first = await runCli([...args, '--out', 'out', '--cache-dir', 'cache'], {
      cwd: dir,
      env: { CI: 'true' },
    });
    manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
  }, 240_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the README command exits 0 with CI set, says it uses the local provider, and reports a summary', () => {
    expect(first.err).toContain('provider: local (--provider local)');
    expect(first.err).toMatch(/done: made 8, cached 0, failed 0/);
    expect(first.code).toBe(0);
  });

  it('writes a manifest that validates and lists every file with its real dimensions', async () => {
    expect(manifestValidator()(manifest)).toEqual([]);
    expect(Object.keys(manifest.recipes)).toEqual(['app-icons', 'blog-heroes', 'product-shots']);
    // Made offline: the manifest says so at its top, and every output is marked as a placeholder.
    expect(manifest.provider).toEqual({ name: 'local', offline: true });
    const outputs = Object.values(manifest.recipes).flatMap((r) => r.assets.flatMap((a) => a.outputs));
    expect(manifest.placeholders).toBe(outputs.length);
    expect(outputs.every((output) => output.placeholder)).toBe(true);
    for (const recipe of Object.values(manifest.recipes)) {
      for (const asset of recipe.assets) {
        expect(asset.status).toBe('ok');
        for (const step of asset.steps) expect(step.provider).toBe('local');
        for (const output of asset.outputs) {
          const metadata = await sharp(join(dir, 'out', output.path)).metadata();
          expect({ w: metadata.width, h: metadata.height, f: metadata.format }).toEqual({
            w: output.width,
            h: output.height,
            f: output.format === 'avif' ? 'heif' : output.format,
          });
        }
      }
    }
  });

  it('product cut-outs are transparent at the corners and opaque in the middle, in two widths', async () => {
    const files = await readdir(join(dir, 'out', 'products'));
    expect(files.sort()).toEqual([
      'lamp-256w.webp',
      'lamp-512w.webp',
      'mug-256w.webp',
      'mug-512w.webp',
      'sneaker-256w.webp',
      'sneaker-512w.webp',
    ]);
    const { data, info } = await sharp(join(dir, 'out', 'products', 'mug-512w.webp'))
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(512);
    const alphaAt = (x: number, y: number) => data[(y * info.width + x) * 4 + 3];
    expect(alphaAt(0, 0)).toBe(0);
    expect(alphaAt(info.width - 1, info.height - 1)).toBe(0);
    expect(alphaAt(Math.floor(info.width / 2), Math.floor(info.height / 2))).toBe(255);
  });

  it('blog heroes come in webp and avif at two widths per seed, 16:9', async () => {
    const heroes = manifest.recipes['blog-heroes'];
    expect(heroes?.assets.map((asset) => `${asset.id}/${asset.variant.seed}`)).toEqual([
      'launch/7',
      'launch/42',
      'roadmap/7',
      'roadmap/42',
    ]);
    const launch = heroes?.assets[0];
    expect(launch?.outputs.map((output) => [output.path, output.width, output.format])).toEqual([
      ['heroes/launch/launch-7-640w.webp', 640, 'webp'],
      ['heroes/launch/launch-7-1280w.webp', 1280, 'webp'],
      ['heroes/launch/launch-7-640w.avif', 640, 'avif'],
      ['heroes/launch/launch-7-1280w.avif', 1280, 'avif'],
    ]);
    for (const output of launch?.outputs ?? []) expect(output.height / output.width).toBeCloseTo(9 / 16, 1);
    const seeds = heroes?.assets.map((asset) => asset.steps[0]?.kind === 'model' && asset.steps[0].seed);
    expect(seeds).toEqual([7, 42, 7, 42]);
  });

  it('the icon set is square png at every size', async () => {
    const icons = manifest.recipes['app-icons']?.assets[0]?.outputs ?? [];
    expect(icons.map((icon) => [icon.width, icon.height, icon.format])).toEqual([
      [16, 16, 'png'],
      [32, 32, 'png'],
      [180, 180, 'png'],
      [192, 192, 'png'],
      [512, 512, 'png'],
      [1024, 1024, 'png'],
      [32, 32, 'png'],
    ]);
  });

  it('a second run is all cached and rewrites byte-identical files', async () => {
    const again = await runCli(['run', ...examples, '--out', 'out', '--cache-dir', 'cache'], { cwd: dir });
    expect(again.err).toMatch(/done: made 0, cached 8, failed 0/);
    expect(again.code).toBe(0);
    const second = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
    const hashes = (m: Manifest) =>
      Object.values(m.recipes).flatMap((recipe) =>
        recipe.assets.flatMap((asset) => asset.outputs.map((o) => o.sha256)),
      );
    expect(hashes(second)).toEqual(hashes(manifest));
  });
});
