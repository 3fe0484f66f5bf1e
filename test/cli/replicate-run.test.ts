/**
 * The example recipes through the replicate provider against the fake Replicate server, via the CLI:
 * same outputs and manifest shape as offline plus prediction ids, versions and actual costs; re-runs,
 * prompt changes and --frozen counted in requests; a canary token never leaks.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';
import { manifestValidator } from '../helpers/manifest.js';

const CANARY = 'r8_CANARY-canary-CANARY-canary-0123456789';
const recipesDir = resolve(import.meta.dirname, '../../recipes');

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('recipes on Replicate (fake server)', () => {
  let fake: FakeReplicate;
  let dir: string;
  let env: Record<string, string>;
  const logs: string[] = [];
  const run = async (args: string[]) => {
    const result = await runCli(args, { cwd: dir, env });
    logs.push(result.out, result.err);
    return result;
  };

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: CANARY, behaviour: { runMs: 20 } });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-replicate-'));
    await cp(recipesDir, join(dir, 'recipes'), { recursive: true });
    env = { REPLICATE_API_TOKEN: CANARY, REPLICATE_API_BASE_URL: fake.baseUrl };
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every example with the same files as offline, plus prediction ids, versions and costs', async () => {
    const result = await run([
      'run',
      'recipes/product-shots.yaml',
      'recipes/blog-heroes.yaml',
      'recipes/app-icons.yaml',
    ]);
    expect(result.err).toContain('provider: replicate');
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    expect(manifestValidator()(manifest)).toEqual([]);
    expect(manifest.provider).toEqual({ name: 'replicate', offline: false });
    expect(manifest.placeholders).toBe(0);
    for (const asset of Object.values(manifest.recipes).flatMap((r) => r.assets)) {
      expect(asset.placeholder).toBe(false);
      for (const output of asset.outputs) expect(output.placeholder).toBe(false);
    }
    const steps = Object.values(manifest.recipes).flatMap((r) => r.assets.flatMap((a) => a.steps));
    const modelSteps = steps.filter((step) => step.kind === 'model');
    expect(modelSteps).toHaveLength(14);
    for (const step of modelSteps) {
      expect(step.provider).toBe('replicate');
      expect(step.prediction_id).toMatch(/^[a-z0-9]{26}$/);
      expect(step.actual_usd).toBeGreaterThan(0);
    }
    const esrgan = modelSteps.find((step) => step.model === 'nightmareai/real-esrgan');
    expect(esrgan?.version).toMatch(/^[0-9a-f]{64}$/);
    const flux = modelSteps.find((step) => step.model === 'black-forest-labs/flux-schnell');
    expect(flux?.actual_usd).toBeCloseTo(0.003, 6);
    expect(fake.counts.create).toBe(14);
    const products = manifest.recipes['product-shots']?.assets.flatMap((a) =>
      a.outputs.map((o) => [o.path, o.width]),
    );
    expect(products).toEqual([
      ['products/mug-256w.webp', 256],
      ['products/mug-512w.webp', 512],
      ['products/lamp-256w.webp', 256],
      ['products/lamp-512w.webp', 512],
      ['products/sneaker-256w.webp', 256],
      ['products/sneaker-512w.webp', 512],
    ]);
    const lock = JSON.parse(await readFile(join(dir, 'recipes', 'assetgen.lock'), 'utf8'));
    expect(lock.models['nightmareai/real-esrgan'].version).toMatch(/^[0-9a-f]{64}$/);
    expect(lock.models['black-forest-labs/flux-schnell']).toEqual({ official: true, version: null });
    expect(Object.keys(lock.tasks)).toContain('product-shots/mug#draft');
  });

  it('an unchanged re-run makes zero HTTP requests and rewrites identical files', async () => {
    const before = await readFile(join(dir, 'output', 'manifest.json'), 'utf8');
    fake.resetCounts();
    const result = await run([
      'run',
      'recipes/product-shots.yaml',
      'recipes/blog-heroes.yaml',
      'recipes/app-icons.yaml',
    ]);
    expect(result.code).toBe(0);
    expect(result.err).toMatch(/made 0, cached 8/);
    expect(fake.counts.total).toBe(0);
    const hashes = (text: string) =>
      Object.values((JSON.parse(text) as Manifest).recipes).flatMap((r) =>
        r.assets.flatMap((a) => a.outputs.map((o) => o.sha256)),
      );
    expect(hashes(await readFile(join(dir, 'output', 'manifest.json'), 'utf8'))).toEqual(hashes(before));
    const plan = await run(['plan', 'recipes/product-shots.yaml', '--json']);
    const { summary } = JSON.parse(plan.out.split('\n')[0] ?? '');
    expect(summary.estimatedUsd).toBe(0);
    expect(summary.models.every((m: { tasks: number; cached: number }) => m.tasks === m.cached)).toBe(true);
    expect(fake.counts.total).toBe(0);
  });

  it('changing one prompt re-runs only that asset’s chain; --frozen names it and creates nothing', async () => {
    const file = join(dir, 'recipes', 'product-shots.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('a brass desk lamp', 'a green banker’s lamp'));
    fake.resetCounts();
    const frozen = await run(['run', 'recipes/product-shots.yaml', '--frozen']);
    expect(frozen.code).toBe(1);
    expect(frozen.err).toContain('product-shots/lamp step draft would start a paid task: its input changed');
    expect(fake.counts.create).toBe(0);
    const check = await run(['check', 'recipes/product-shots.yaml']);
    expect(check.code).toBe(1);
    expect(fake.counts.create).toBe(0);

    const rerun = await run(['run', 'recipes/product-shots.yaml']);
    expect(rerun.code).toBe(0);
    expect(rerun.err).toMatch(/made 1, cached 2/);
    expect(fake.counts.create).toBe(3); // draft, upscale, cutout of the lamp only
    const frozenAgain = await run(['run', 'recipes/product-shots.yaml', '--frozen']);
    expect(frozenAgain.code).toBe(0);

    // A post-processing change re-runs only local work: no request at all.
    await writeFile(file, (await readFile(file, 'utf8')).replace('quality: 85', 'quality: 70'));
    fake.resetCounts();
    const local = await run(['run', 'recipes/product-shots.yaml']);
    expect(local.code).toBe(0);
    expect(fake.counts.total).toBe(0);
  });

  it('plan warns that official-model tasks which ran before will re-run unpinned', async () => {
    const file = join(dir, 'recipes', 'product-shots.yaml');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('a glazed ceramic coffee mug', 'a tall glass vase'),
    );
    const plan = await run(['plan', 'recipes/product-shots.yaml']);
    expect(plan.code).toBe(0);
    expect(plan.out).toMatch(
      /1 task of black-forest-labs\/flux-schnell will re-run: official models have no version pin/,
    );
    expect(plan.out).toMatch(/black-forest-labs\/flux-schnell\s+3\s+2\s+\$0\.003\b/);
  });

  it('update pins community models to their latest version and reports what moved', async () => {
    const lockFile = join(dir, 'recipes', 'assetgen.lock');
    const lock = JSON.parse(await readFile(lockFile, 'utf8'));
    const pinned = lock.models['nightmareai/real-esrgan'].version;
    lock.models['nightmareai/real-esrgan'].version = 'f'.repeat(64);
    await writeFile(lockFile, JSON.stringify(lock));
    const update = await run(['update', 'recipes/product-shots.yaml', '--model', 'nightmareai/real-esrgan']);
    expect(update.code).toBe(0);
    expect(update.out).toContain(`nightmareai/real-esrgan: ${'f'.repeat(64)} → ${pinned}`);
    expect(JSON.parse(await readFile(lockFile, 'utf8')).models['nightmareai/real-esrgan'].version).toBe(
      pinned,
    );
    const again = await run(['update', 'recipes/product-shots.yaml']);
    expect(again.out).toContain('all pins are current');
  });

  it('cache ls shows sizes; gc drops unreferenced files; clear empties it', async () => {
    const ls = await run(['cache', 'ls']);
    expect(ls.out).toMatch(
      /\d+ model results, \d+ image steps, \d+ encoded outputs; \d+ files, \d+ model schemas, [\d.]+ (KiB|MiB)/,
    );
    await writeFile(join(dir, '.assetgen', 'cache', 'objects', 'orphan'), 'x');
    expect((await run(['cache', 'gc'])).out).toMatch(/removed 1 file,/);
    expect((await run(['cache', 'clear'])).code).toBe(0);
    expect((await run(['cache', 'ls'])).out).toMatch(/0 model results/);
  });

  it('identical tasks inside one run are made once', async () => {
    await writeFile(
      join(dir, 'recipes', 'twins.yaml'),
      `name: twins
assets:
  - id: one
  - id: two
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "the same red apple", seed: 5, megapixels: "0.25" }
outputs:
  - path: "{{ id }}.png"
`,
    );
    fake.resetCounts();
    const result = await run(['run', 'recipes/twins.yaml']);
    expect(result.code).toBe(0);
    expect(fake.counts.create).toBe(1);
  });

  it('streams a language-model step; CI logs show its text once; it feeds a later step and the manifest', async () => {
    await writeFile(
      join(dir, 'recipes', 'captioned.yaml'),
      `name: captioned
assets:
  - id: kite
    subject: a red kite over a beach
steps:
  - id: idea
    model: meta/meta-llama-3-70b-instruct
    input: { prompt: "Describe a photo of {{ subject }} in one sentence.", max_tokens: 40 }
  - id: photo
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ steps.idea.text }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}.webp"
`,
    );
    fake.resetCounts();
    const result = await run(['run', 'recipes/captioned.yaml']);
    expect(result.code).toBe(0);
    expect(fake.counts.stream).toBe(1);
    // CI logs: one line for the finished text step, not one per token.
    const lines = result.err.split('\n');
    expect(lines.filter((line) => line.startsWith('token'))).toEqual([]);
    const texts = lines.filter((line) => line.startsWith('text    captioned/kite idea '));
    expect(texts).toHaveLength(1);
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    const [idea, photo] = manifest.recipes.captioned?.assets[0]?.steps ?? [];
    const text = idea?.kind === 'model' ? idea.text : undefined;
    expect(text).toMatch(/red kite/);
    expect(text).toBe(JSON.parse((texts[0] ?? '').slice((texts[0] ?? '').indexOf('"'))));
    expect(photo?.kind === 'model' && photo.input.prompt).toBe(text);
  });

  it('never writes the token into a log line, error, manifest, lock or any file', async () => {
    const bad = await run(['run', 'recipes/app-icons.yaml', '--force']);
    expect(bad.code).toBe(0);
    for (const text of logs) expect(text).not.toContain(CANARY);
    for (const file of await filesUnder(dir)) {
      const content = await readFile(file);
      expect(content.includes(Buffer.from(CANARY)), file).toBe(false);
    }
  });
});
