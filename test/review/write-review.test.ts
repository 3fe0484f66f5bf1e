/**
 * `writeReviewPage` and `assetgen review` on a real run's output: thumbnails made once and kept by
 * content (a re-write reads no source), unused ones removed, changed or missing sources reported, and
 * clear errors for a missing or foreign manifest and for a page folder inside the output folder.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { writeReviewPage } from '../../src/review/index.js';
import { runCli } from '../helpers/cli.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('writing the review page', () => {
  let dir: string;
  let manifest: Manifest;
  /** Distinct images of a manifest: each final image (one output here) and every step file. */
  const distinct = (m: Manifest): number =>
    new Set(
      Object.values(m.recipes).flatMap((r) =>
        r.assets.flatMap((a) => [
          ...a.outputs.map((o) => o.sha256),
          ...a.steps.flatMap((st) => (st.files ?? []).map((f) => f.sha256)),
        ]),
      ),
    ).size;
  const paths = () => ({
    outDir: join(dir, 'output'),
    to: join(dir, 'review'),
    cacheDir: join(dir, '.assetgen', 'cache'),
  });
  const thumbs = async () => (await readdir(join(dir, 'review', 'thumbs'))).sort();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-review-write-'));
    await cp(FIXTURES, dir, { recursive: true });
    const run = await runCli(['run', 'mixed.yaml', 'broken.yaml'], { cwd: dir });
    expect(run.code).toBe(1); // broken.yaml fails on purpose
    manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
  }, 120_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes one webp thumbnail per distinct image, fitted inside 480 pixels', async () => {
    const report = await writeReviewPage(paths());
    // mixed: 2 assets × (draft, matte, final png — the same bytes as the matte); broken: its draft.
    expect(distinct(manifest)).toBe(5);
    expect(report.thumbnails).toEqual({ made: 5, kept: 0, failed: 0, removed: 0 });
    expect(report.cards).toBe(3);
    expect(report.problems).toEqual([]);
    const names = await thumbs();
    expect(names).toHaveLength(5);
    for (const name of names) {
      const meta = await sharp(join(dir, 'review', 'thumbs', name)).metadata();
      expect(meta.format).toBe('webp');
      expect(Math.max(meta.width ?? 0, meta.height ?? 0)).toBeLessThanOrEqual(480);
      expect(name).toMatch(new RegExp(`-s480q78e1-${meta.width}x${meta.height}\\.webp$`));
    }
    const html = await readFile(report.path, 'utf8');
    expect(html).toContain('data-asset="cutout"');
    expect((await readdir(join(dir, 'review'))).sort()).toEqual(['index.html', 'thumbs']); // no temporary files
  });

  it('keeps thumbnails of unchanged images without reading their sources', async () => {
    const before = await Promise.all(
      (await thumbs()).map(async (n) => (await stat(join(dir, 'review', 'thumbs', n))).mtimeMs),
    );
    // Take the sources away: a re-write that needed them would fail to preview.
    await rm(join(dir, '.assetgen', 'cache', 'objects'), { recursive: true });
    const report = await writeReviewPage(paths());
    expect(report.thumbnails).toEqual({ made: 0, kept: 5, failed: 0, removed: 0 });
    const after = await Promise.all(
      (await thumbs()).map(async (n) => (await stat(join(dir, 'review', 'thumbs', n))).mtimeMs),
    );
    expect(after).toEqual(before);
  });

  it('removes thumbnails the page no longer uses (or of older settings), and nothing else', async () => {
    await writeFile(join(dir, 'review', 'thumbs', 'notes.txt'), 'mine');
    await writeFile(
      join(dir, 'review', 'thumbs', `${'a'.repeat(64)}-s480q90-480x480.webp`),
      'older settings',
    );
    delete manifest.recipes.broken;
    await writeFile(join(dir, 'output', 'manifest.json'), JSON.stringify(manifest));
    const report = await writeReviewPage(paths());
    expect(report.thumbnails).toEqual({ made: 0, kept: 4, failed: 0, removed: 2 });
    expect(await thumbs()).toContain('notes.txt');
    expect(await thumbs()).toHaveLength(5);
  });

  it('reports an output changed after the run, and an image found nowhere', async () => {
    const changed = structuredClone(manifest);
    const cutout = changed.recipes.mixed?.assets.find((a) => a.id === 'cutout');
    const evil = changed.recipes.mixed?.assets.find((a) => a.id === 'evil');
    if (cutout?.outputs[0] === undefined || evil?.outputs[0] === undefined) throw new Error('fixture');
    // Pretend the manifest was written for other bytes: the file on disk no longer matches it.
    cutout.outputs[0].sha256 = 'f'.repeat(64);
    evil.outputs[0].sha256 = 'e'.repeat(64);
    await rm(join(dir, 'output', evil.outputs[0].path));
    await writeFile(join(dir, 'output', 'manifest.json'), JSON.stringify(changed));
    const report = await writeReviewPage(paths());
    expect(report.problems).toHaveLength(2);
    expect(report.problems[0]).toMatch(
      /^mixed\/evil, final image: not found \(looked in .*evil\.png, .*objects\/ee\/e{64}\)$/,
    );
    expect(report.problems[1]).toBe(
      'mixed/cutout, final image: the file differs from the manifest (changed after the run)',
    );
    expect(report.thumbnails.failed).toBe(1);
    const html = await readFile(report.path, 'utf8');
    expect(html).toContain('No preview: not found');
    expect(html).toContain('the file differs from the manifest');
    await writeFile(join(dir, 'output', 'manifest.json'), JSON.stringify(manifest));
  });
});

describe('assetgen review', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-review-cli-'));
    await cp(FIXTURES, dir, { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says how to get a manifest when there is none (exit 2)', async () => {
    const result = await runCli(['review'], { cwd: dir });
    expect(result.err).toBe(
      'error: no manifest at output/manifest.json: run `assetgen run <recipes…>` first, or pass --out with the folder that holds manifest.json',
    );
    expect(result.code).toBe(2);
  });

  it('refuses a manifest that is not one of assetgen (exit 2)', async () => {
    await mkdir(join(dir, 'foreign'));
    await writeFile(join(dir, 'foreign', 'manifest.json'), JSON.stringify({ recipes: [] }));
    const result = await runCli(['review', '--out', 'foreign'], { cwd: dir });
    expect(result.err).toMatch(
      /^error: .*\/foreign\/manifest\.json does not match the manifest schema:\n {2}\(manifest\): must have required property '\$schema'/,
    );
    expect(result.code).toBe(2);
  });

  it('writes the page and prints its file:// URL; refuses a page folder inside the output folder', async () => {
    expect((await runCli(['run', 'mixed.yaml', '--quiet'], { cwd: dir })).code).toBe(0);
    const result = await runCli(['review'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.out).toBe(pathToFileURL(join(dir, '.assetgen', 'review', 'index.html')).href);
    expect(result.err).toMatch(
      /^review: 2 cards from 1 recipe → \.assetgen\/review\/index\.html \(thumbnails: 4 made, 0 unchanged\) in \d+\.\ds$/,
    );

    const inside = await runCli(['review', '--to', 'output/review'], { cwd: dir });
    expect(inside.err).toMatch(
      /^error: the review page would be written inside the output folder .*choose a --to outside it/,
    );
    expect(inside.code).toBe(2);
  });
});
