/**
 * The library API in-process (src/index.ts): problems as data, plans with costs, runs with events and an
 * abort signal, manifests read back — the same behaviour as the CLI, and nothing read from process.env.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BudgetError,
  CancelledError,
  checkRecipes,
  ManifestError,
  planRecipes,
  type RunEvent,
  readManifest,
  runRecipes,
  validateRecipes,
} from '../../src/index.js';
import { manifestValidator } from '../helpers/manifest.js';

const RECIPE = `name: tiles
output: tiles
budget: { max_usd: 0.05 }
assets:
  - id: red
    subject: a red tile
  - id: blue
    subject: a blue tile
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ subject }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}-{{ width }}.png"
    widths: [32, 64]
`;

describe('library API', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-api-'));
    await writeFile(join(dir, 'tiles.yaml'), RECIPE);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('validateRecipes answers with problems as data (file:line:column, path), never throws them', async () => {
    await writeFile(
      join(dir, 'bad.yaml'),
      'name: bad\nassets:\n  - id: a\nsteps:\n  - id: up\n    model: nightmareai/real-esrgan\n    input: { scale: 20 }\noutputs:\n  - path: "{{ id }}.png"\n',
    );
    const bad = await validateRecipes(['bad.yaml', 'missing.yaml'], { cwd: dir });
    expect(bad.ok).toBe(false);
    expect(bad.problems).toContainEqual({
      location: { file: expect.stringMatching(/(^|\/)bad\.yaml$/), line: 7, column: 21 },
      path: 'steps[0].input.scale',
      message: expect.stringContaining('10'),
    });
    expect(bad.problems).toContainEqual(
      expect.objectContaining({
        path: '',
        message: 'no such file',
        location: expect.objectContaining({ line: 1 }),
      }),
    );
    const good = await validateRecipes(['tiles.yaml'], { cwd: dir });
    expect(good).toMatchObject({
      ok: true,
      problems: [],
      recipes: [{ name: 'tiles', assets: 2, instances: 2 }],
    });
    expect(good.recipes[0]?.file).toBe(join(dir, 'tiles.yaml'));
  });

  it('planRecipes reports tasks, outputs and the Replicate estimate; over budget is data, not a throw', async () => {
    const plan = await planRecipes(['tiles.yaml'], { cwd: dir });
    expect(plan.provider.name).toBe('local');
    expect(plan.summary).toMatchObject({ assets: 2, outputFiles: 4, paid: false, estimatedUsd: 0 });
    expect(plan.summary.replicateUsd).toBeCloseTo(0.006, 9);
    expect(plan.assets.map((asset) => [asset.key, asset.outputs])).toEqual([
      ['tiles/red', ['tiles/red-32.png', 'tiles/red-64.png']],
      ['tiles/blue', ['tiles/blue-32.png', 'tiles/blue-64.png']],
    ]);
    expect(plan.overBudget).toBeNull();
    const over = await planRecipes(['tiles.yaml'], {
      cwd: dir,
      maxUsd: 0.001,
      replicate: { token: 'r8_unused-nothing-is-sent-0123456789', baseUrl: 'http://127.0.0.1:9' },
    });
    expect(over.provider.name).toBe('replicate');
    expect(over.overBudget?.message).toMatch(/estimated cost \$0\.006 exceeds --max-cost \$0\.001/);
    expect(await readdir(dir)).not.toContain('.assetgen');
  });

  it('never reads process.env: a token there does not make the library pay', async () => {
    const saved = process.env.REPLICATE_API_TOKEN;
    process.env.REPLICATE_API_TOKEN = 'r8_in-the-environment-only-0123456789';
    try {
      expect((await planRecipes(['tiles.yaml'], { cwd: dir })).provider.name).toBe('local');
    } finally {
      if (saved === undefined) delete process.env.REPLICATE_API_TOKEN;
      else process.env.REPLICATE_API_TOKEN = saved;
    }
  });

  it('runRecipes runs with typed events, writes files and the manifest it returns; readManifest reads it', async () => {
    const events: RunEvent[] = [];
    const report = await runRecipes(['tiles.yaml'], { cwd: dir, out: 'out', onEvent: (e) => events.push(e) });
    expect(report).toMatchObject({
      status: 'ok',
      mode: 'run',
      made: 2,
      failed: 0,
      spentUsd: 0,
      lockWritten: false,
    });
    expect(report.manifestPath).toBe(join(dir, 'out', 'manifest.json'));
    expect(events[0]).toMatchObject({ type: 'run-started', mode: 'run', provider: 'local', assets: 2 });
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', made: 2, failed: 0, cancelled: false });
    expect(
      events
        .filter((e) => e.type === 'asset-finished')
        .map((e) => e.type === 'asset-finished' && e.asset)
        .sort(),
    ).toEqual(['tiles/blue', 'tiles/red']);
    const manifest = await readManifest(join(dir, 'out'));
    expect(manifest).toEqual(report.manifest);
    expect(manifest.manifest_version).toBe(2);
    expect(manifestValidator()(manifest)).toEqual([]);
    const red = manifest.recipes.tiles?.assets[0];
    expect(red?.outputs.map((o) => [o.path, o.width])).toEqual([
      ['tiles/red-32.png', 32],
      ['tiles/red-64.png', 64],
    ]);
    expect((await sharp(join(dir, 'out', 'tiles/red-64.png')).metadata()).width).toBe(64);
    const check = await checkRecipes(['tiles.yaml'], { cwd: dir, provider: 'local' });
    expect(check).toMatchObject({
      status: 'ok',
      mode: 'check',
      cached: 2,
      manifest: null,
      manifestPath: null,
    });
  });

  it('an aborted signal stops before anything is written; a budget refusal throws BudgetError', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(
      runRecipes(['tiles.yaml'], { cwd: dir, out: 'never', signal: controller.signal }),
    ).rejects.toThrow(CancelledError);
    const refusal = runRecipes(['tiles.yaml'], {
      cwd: dir,
      out: 'never',
      maxUsd: 0.001,
      replicate: { token: 'r8_unused-nothing-is-sent-0123456789', baseUrl: 'http://127.0.0.1:9' },
    });
    await expect(refusal).rejects.toThrow(BudgetError);
    expect(await readdir(dir)).not.toContain('never');
  });

  it('aborting during a run cancels it: the report says cancelled; aborted during set-up, nothing runs', async () => {
    const controller = new AbortController();
    const report = await runRecipes(['tiles.yaml'], {
      cwd: dir,
      out: 'cancelled',
      cacheDir: 'cache-cancelled',
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'task-started') controller.abort();
      },
    });
    expect(report.status).toBe('cancelled');
    expect(report.problems.length).toBeGreaterThan(0);
    expect(report.problems.every((problem) => problem.status === 'cancelled')).toBe(true);
    const early = new AbortController();
    const events: RunEvent[] = [];
    const setUp = runRecipes(['tiles.yaml'], {
      cwd: dir,
      out: 'never',
      signal: early.signal,
      onEvent: (event) => {
        events.push(event);
        if (event.type === 'run-started') early.abort();
      },
    });
    await expect(setUp).rejects.toThrow(/cancelled before the run started; nothing was run/);
    expect(events.map((event) => event.type)).toEqual(['run-started']);
    expect(await readdir(dir)).not.toContain('never');
  });

  it('readManifest says what is wrong: missing, not JSON, not the schema, a newer or unknown version', async () => {
    const folder = join(dir, 'manifests');
    await mkdir(folder, { recursive: true });
    const current = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
    const write = async (name: string, value: unknown) => {
      const path = join(folder, name);
      await writeFile(path, typeof value === 'string' ? value : JSON.stringify(value));
      return path;
    };
    const failure = async (path: string) => {
      try {
        await readManifest(path);
      } catch (error) {
        expect(error).toBeInstanceOf(ManifestError);
        return error as ManifestError;
      }
      throw new Error(`${path} was read`);
    };
    expect((await failure(join(folder, 'none.json'))).code).toBe('MANIFEST_MISSING');
    expect((await failure(await write('text.json', 'not json'))).code).toBe('MANIFEST_INVALID');
    const newer = await failure(
      await write('newer.json', {
        ...current,
        manifest_version: 3,
        generator: { name: 'assetgen', version: '9.0.0' },
      }),
    );
    expect(newer.code).toBe('MANIFEST_VERSION');
    expect(newer.message).toMatch(
      /format version 3, newer than this assetgen reads \(2\); it was written by assetgen 9\.0\.0: upgrade assetgen/,
    );
    expect((await failure(await write('odd.json', { ...current, manifest_version: 'one' }))).message).toMatch(
      /unknown format version "one"/,
    );
    const broken = structuredClone(current);
    broken.recipes.tiles.assets[0].status = 'fine';
    const invalid = await failure(await write('broken.json', broken));
    expect(invalid.problems).toContainEqual(
      expect.stringMatching(/^\/recipes\/tiles\/assets\/0\/status: must be equal to one of/),
    );
    // Written before the field existed: version 1, read as the current version (test/manifest has the upgrade).
    const { manifest_version: _, ...legacy } = current;
    expect((await readManifest(await write('legacy.json', legacy))).manifest_version).toBe(2);
  });

  it('refuses to run into an output folder whose manifest has a newer format, before running anything', async () => {
    await mkdir(join(dir, 'future'), { recursive: true });
    const future = JSON.stringify({ manifest_version: 7, recipes: {} });
    await writeFile(join(dir, 'future', 'manifest.json'), future);
    const events: RunEvent[] = [];
    await expect(
      runRecipes(['tiles.yaml'], {
        cwd: dir,
        out: 'future',
        cacheDir: 'cache-future',
        onEvent: (e) => events.push(e),
      }),
    ).rejects.toThrow(/format version 7, newer than this assetgen writes \(2\); nothing was run/);
    expect(events).toEqual([]);
    expect(await readdir(join(dir, 'future'))).toEqual(['manifest.json']);
    expect(await readFile(join(dir, 'future', 'manifest.json'), 'utf8')).toBe(future);
  });
});
