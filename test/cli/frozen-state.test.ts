/**
 * A failing `run --frozen` or `check` never damages state: the manifest, the output files and the lock
 * stay byte for byte (and untouched on disk) as the last good run left them, nothing is created on the
 * server, and the command says what would have to run. A frozen run that can finish still restores.
 */
import { cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_frozen-state-test-token-0123456789';
const recipesDir = resolve(import.meta.dirname, '../../recipes');

interface Snapshot {
  files: Map<string, { bytes: string; mtimeMs: number }>;
}

/** Every file under the output folder plus the lock: content and modification time. */
async function snapshot(dir: string): Promise<Snapshot> {
  const files = new Map<string, { bytes: string; mtimeMs: number }>();
  const paths = (await readdir(join(dir, 'output'), { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
  for (const path of [...paths, join(dir, 'recipes', 'assetgen.lock')]) {
    files.set(path, {
      bytes: (await readFile(path)).toString('base64'),
      mtimeMs: (await stat(path)).mtimeMs,
    });
  }
  return { files };
}

describe('a failing --frozen or check leaves state as it was', () => {
  let fake: FakeReplicate;
  let dir: string;
  let env: Record<string, string>;
  const cli = (args: string[]) => runCli(args, { cwd: dir, env });
  const recipe = () => join(dir, 'recipes', 'product-shots.yaml');

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 10 } });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-frozen-'));
    await cp(join(recipesDir, 'product-shots.yaml'), recipe());
    env = { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl };
    const first = await cli(['run', 'recipes/product-shots.yaml']);
    expect(first.code).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a prompt change plus a post-processing change: --frozen fails, names the task, writes nothing', async () => {
    const before = await snapshot(dir);
    const original = await readFile(recipe(), 'utf8');
    // One paid task would have to run (lamp) and every asset's outputs would change (quality).
    await writeFile(
      recipe(),
      original.replace('a brass desk lamp', 'a green banker’s lamp').replace('quality: 85', 'quality: 60'),
    );
    fake.resetCounts();
    const frozen = await cli(['run', 'recipes/product-shots.yaml', '--frozen']);
    expect(frozen.code).toBe(1);
    expect(frozen.err).toContain('product-shots/lamp step draft would start a paid task: its input changed');
    expect(frozen.err).toMatch(
      /--frozen: 1 asset would have to run or failed \(listed above\); nothing was written: the manifest, the output files and the lock are as they were/,
    );
    expect(frozen.err).not.toMatch(/→ .*manifest\.json/);
    expect(fake.counts.total).toBe(0);
    expect(await snapshot(dir)).toEqual(before);

    const check = await cli(['check', 'recipes/product-shots.yaml']);
    expect(check.code).toBe(1);
    expect(check.err).toContain('product-shots/lamp step draft would start a paid task: its input changed');
    expect(check.err).toMatch(/check: 1 asset would have to run or failed/);
    expect(fake.counts.total).toBe(0);
    expect(await snapshot(dir)).toEqual(before);
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifest.recipes['product-shots']?.assets.map((asset) => asset.status)).toEqual([
      'ok',
      'ok',
      'ok',
    ]);
    await writeFile(recipe(), original);
  });

  it('local changes alone: --frozen makes them, creates nothing, restores every file and writes the manifest', async () => {
    const before = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    const changed = (await readFile(recipe(), 'utf8'))
      .replace('all: 24', 'all: 16')
      .replace('quality: 85', 'quality: 70');
    await writeFile(recipe(), changed);
    fake.resetCounts();
    const frozen = await cli(['run', 'recipes/product-shots.yaml', '--frozen']);
    expect(frozen.code).toBe(0);
    expect(frozen.err).toMatch(/done: made 3, cached 0, failed 0.*→ .*manifest\.json/);
    expect(fake.counts.total).toBe(0);
    // One run as far as events go: each step and each output file reported once.
    const lines = frozen.err.split('\n');
    const tidy = lines.filter((line) => / tidy \(image\)/.test(line)).map((line) => line.slice(0, 7).trim());
    expect(tidy.sort()).toEqual(['done', 'done', 'done', 'start', 'start', 'start']);
    expect(lines.filter((line) => /outputs\[0\] \(output\)/.test(line))).toHaveLength(6);
    expect(lines.filter((line) => line.startsWith('asset   '))).toHaveLength(3);
    const after = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    const assets = after.recipes['product-shots']?.assets ?? [];
    const hashes = (manifest: Manifest) =>
      manifest.recipes['product-shots']?.assets.flatMap((asset) =>
        asset.outputs.map((output) => output.sha256),
      );
    expect(hashes(after)).not.toEqual(hashes(before));
    for (const asset of assets) {
      expect(asset.status).toBe('ok');
      expect(asset.steps.map((step) => [step.id, step.cache_hit])).toEqual([
        ['draft', true],
        ['upscale', true],
        ['cutout', true],
        ['tidy', false],
      ]);
      for (const output of asset.outputs) {
        expect((await stat(join(dir, 'output', output.path))).size).toBe(output.bytes);
      }
    }
  });
});

describe('an output folder whose manifest is of a newer format', () => {
  it('is refused before anything runs (exit 2), the manifest untouched', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'assetgen-newer-'));
    try {
      await cp(join(recipesDir, 'app-icons.yaml'), join(dir, 'app-icons.yaml'));
      const future = `${JSON.stringify({ manifest_version: 3, generator: { name: 'assetgen', version: '3.0.0' } })}\n`;
      await writeFile(join(dir, 'manifest.json'), future);
      const result = await runCli(['run', 'app-icons.yaml', '--out', '.', '--cache-dir', 'cache'], {
        cwd: dir,
      });
      expect(result.code).toBe(2);
      expect(result.err).toMatch(
        /manifest\.json has format version 3, newer than this assetgen writes \(2\); nothing was run \(upgrade assetgen, or write to another --out folder\)/,
      );
      expect((await readdir(dir)).sort()).toEqual(['app-icons.yaml', 'manifest.json']);
      expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(future);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
