/**
 * Shards (`shard: { index, count }`, `--shard i/n`) and `mergeShards`: the split is stable and covers
 * every asset once; shards run one after another and merged give the manifest and the lock one runner
 * writes (byte for byte from a warm cache; from a cold one only the measured durations differ); merge
 * refuses parts that are missing or not of one run, and writes nothing then.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ManifestError,
  mergeShards,
  planRecipes,
  type RunRecipesOptions,
  runRecipes,
  UsageError,
} from '../../src/index.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { assetShardKey, parseShard, selectShard, shardOfKey } from '../../src/plan/shard.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'test-shards-token';

/** Two recipes: variants, a model step, an image step, widths; no two tasks identical. */
const TILES = `name: tiles
assets:
${Array.from({ length: 7 }, (_, i) => `  - id: t${i}\n    subject: tile number ${i}`).join('\n')}
variants:
  tone: [warm, cool]
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a {{ tone }} {{ subject }}", megapixels: "0.25", aspect_ratio: "1:1" }
  - id: small
    image:
      - resize: { width: 48 }
outputs:
  - path: "{{ id }}-{{ tone }}-{{ width }}.png"
    widths: [16, 32]
  - path: "{{ id }}-{{ tone }}.webp"
`;
const ICONS = `name: icons
assets:
${Array.from({ length: 5 }, (_, i) => `  - id: i${i}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "icon {{ id }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}.png"
    widths: [24]
`;
const FILES = ['tiles.yaml', 'icons.yaml'];

/** A manifest with the measured durations zeroed: what two cold runs cannot share. */
function withoutDurations(text: string): string {
  return JSON.stringify(
    JSON.parse(text, (key, value) => (key === 'duration_ms' ? 0 : value)),
    null,
    2,
  );
}

async function filesOf(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(path.slice(dir.length + 1), await readFile(path));
  }
  return files;
}

describe('shards', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-shards-'));
    await writeFile(join(dir, 'tiles.yaml'), TILES);
    await writeFile(join(dir, 'icons.yaml'), ICONS);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs shards 1..n one after another, each into its own folder, then copies them into `out` (as CI artifacts). */
  async function runShards(count: number, out: string, options: RunRecipesOptions): Promise<void> {
    for (let index = 1; index <= count; index++) {
      const own = `${out}-part${index}`;
      const report = await runRecipes(FILES, { ...options, out: own, shard: { index, count } });
      expect(report.status).toBe('ok');
      expect(report.manifestPath).toBe(join(dir, own, `manifest.shard-${index}-of-${count}.json`));
      await cp(join(dir, own), join(dir, out), { recursive: true });
    }
  }

  it('splits every asset into exactly one shard, about evenly, by a key that does not move', () => {
    const catalog = createCatalog();
    const many = `name: many\nassets:\n${Array.from({ length: 1200 }, (_, i) => `  - id: a${i}`).join('\n')}\nsteps:\n  - id: art\n    model: black-forest-labs/flux-schnell\n    input: { prompt: "{{ id }}" }\noutputs:\n  - path: "{{ id }}.png"\n`;
    const plan = createPlan(
      [parseRecipeText(many, join(dir, 'many.yaml'), { catalog, maxInstances: 2000 })],
      catalog,
    );
    for (const count of [1, 3, 7]) {
      const seen = new Map<string, number>();
      for (let index = 1; index <= count; index++) {
        const shard = selectShard(plan, { index, count }, dir);
        expect(shard.shard).toEqual({ index, count });
        const assets = shard.recipes[0]?.assets ?? [];
        // Roughly even: within a quarter of the fair share (the spread of a uniform hash is far smaller).
        expect(Math.abs(assets.length - 1200 / count)).toBeLessThan(1200 / count / 4 + 1);
        for (const asset of assets) {
          expect(seen.has(asset.key)).toBe(false);
          seen.set(asset.key, index);
        }
        // Plan order kept, each with its place in the whole recipe.
        expect(assets.map((asset) => asset.index)).toEqual(
          [...assets.map((a) => a.index)].sort((a, b) => a - b),
        );
      }
      expect(seen.size).toBe(1200);
    }
    // The key is the recipe's relative path, the asset id and the variant label: the same on every
    // machine and in every checkout folder, and not moved by other assets or by the steps.
    // Pinned: a change to the key would move every asset between shards of runs already in flight.
    const shards = (plan.recipes[0]?.assets.slice(0, 10) ?? []).map((asset) =>
      shardOfKey(assetShardKey('many.yaml', asset), 4),
    );
    expect(shards).toEqual([3, 2, 1, 3, 4, 1, 2, 1, 3, 3]);
    expect(shardOfKey('000000000005ffff', 4)).toBe((5 % 4) + 1); // the first 48 bits decide
    const elsewhere = createPlan(
      [
        parseRecipeText(many.replace('a1199', 'zz'), join('/other/checkout', 'many.yaml'), {
          catalog,
          maxInstances: 2000,
        }),
      ],
      catalog,
    );
    const a = selectShard(plan, { index: 2, count: 5 }, dir).recipes[0]?.assets.map((x) => x.key) ?? [];
    const b =
      selectShard(elsewhere, { index: 2, count: 5 }, '/other/checkout').recipes[0]?.assets.map(
        (x) => x.key,
      ) ?? [];
    expect(b.filter((key) => key !== 'many/zz')).toEqual(a.filter((key) => key !== 'many/a1199'));
  });

  it('--shard takes i/n, 1-based, and says what it expected otherwise', async () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    expect(() => parseShard('0/4')).toThrow(/expected a shard from 1 to 4 for --shard but received 0/);
    expect(() => parseShard('5/4')).toThrow(UsageError);
    expect(() => parseShard('1-4')).toThrow(/expected i\/n such as 1\/4/);
    const bad = await runCli(['run', 'tiles.yaml', '--provider', 'local', '--shard', '3/2'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("option '--shard <i/n>' argument '3/2' is invalid");
    expect(bad.err).toContain('expected a shard from 1 to 2');
    await expect(
      runRecipes(FILES, { cwd: dir, provider: 'local', shard: { index: 0, count: 2 } }),
    ).rejects.toThrow(UsageError);
  });

  it('three shards merged write the manifest and outputs of one run (local provider)', async () => {
    const local = { cwd: dir, provider: 'local' as const };
    const single = await runRecipes(FILES, { ...local, out: 'single', cacheDir: 'cache-a' });
    expect(single.status).toBe('ok');
    await runShards(3, 'sharded', { ...local, cacheDir: 'cache-b' });
    const merged = await mergeShards({ cwd: dir, out: 'sharded' });
    expect(merged).toMatchObject({ shards: 3, assets: 19, lockPath: null, recipes: ['tiles', 'icons'] });
    const [want, got] = await Promise.all([filesOf(join(dir, 'single')), filesOf(join(dir, 'sharded'))]);
    // The same files at the same paths, the same bytes; no part left.
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, bytes] of want)
      if (path !== 'manifest.json') expect(got.get(path)?.equals(bytes)).toBe(true);
    // Cold caches on both sides: only the measured durations may differ.
    expect(withoutDurations(got.get('manifest.json')?.toString() ?? '')).toBe(
      withoutDurations(want.get('manifest.json')?.toString() ?? ''),
    );
    // From a warm cache nothing differs at all.
    await runRecipes(FILES, { ...local, out: 'single-warm', cacheDir: 'cache-a' });
    await runShards(3, 'sharded-warm', { ...local, cacheDir: 'cache-a' });
    await mergeShards({ cwd: dir, out: 'sharded-warm' });
    expect(await readFile(join(dir, 'sharded-warm', 'manifest.json'), 'utf8')).toBe(
      await readFile(join(dir, 'single-warm', 'manifest.json'), 'utf8'),
    );
  });

  it('refuses parts that are missing, of another count or of another recipe text; writes nothing', async () => {
    const local = { cwd: dir, provider: 'local' as const, cacheDir: 'cache-a' };
    const run = (out: string, index: number, count: number) =>
      runRecipes(FILES, { ...local, out, shard: { index, count } });
    await run('gaps', 1, 3);
    await run('gaps', 3, 3);
    const missing = await mergeShards({ cwd: dir, out: 'gaps' }).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ManifestError);
    expect((missing as ManifestError).code).toBe('SHARD_MISSING');
    expect((missing as Error).message).toMatch(/shard 2 of 3 is missing: no manifest\.shard-2-of-3\.json in/);
    await run('gaps', 2, 2);
    await expect(mergeShards({ cwd: dir, out: 'gaps' })).rejects.toThrow(
      /holds parts of different shard counts \(of 2, of 3\)/,
    );
    expect((await readdir(join(dir, 'gaps'))).filter((name) => name.endsWith('.json')).sort()).toEqual([
      'manifest.shard-1-of-3.json',
      'manifest.shard-2-of-2.json',
      'manifest.shard-3-of-3.json',
    ]);

    // A recipe edited between shards (another commit): refused, the parts stay.
    await run('edited', 1, 2);
    await writeFile(join(dir, 'icons.yaml'), ICONS.replace('icon {{ id }}', 'an icon {{ id }}'));
    try {
      await run('edited', 2, 2);
    } finally {
      await writeFile(join(dir, 'icons.yaml'), ICONS);
    }
    await expect(mergeShards({ cwd: dir, out: 'edited' })).rejects.toThrow(
      /recipe icons differs between shard 1 and shard 2 .*run every shard from the same commit; nothing was merged/,
    );
    expect((await readdir(join(dir, 'edited'))).filter((name) => name.includes('manifest'))).not.toContain(
      'manifest.json',
    );
    const cli = await runCli(['merge', '--out', 'nowhere-empty'], { cwd: dir });
    expect(cli.code).toBe(2);
    expect(cli.err).toMatch(/error: cannot read .*nowhere-empty/);
    await mkdir(join(dir, 'empty'));
    const none = await runCli(['merge', '--out', 'empty'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.err).toContain('no shard parts in');
  });
});

describe('shards on Replicate (the fake)', () => {
  let dir: string;
  let fake: FakeReplicate;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-shards-paid-'));
    await writeFile(join(dir, 'tiles.yaml'), TILES);
    await writeFile(join(dir, 'icons.yaml'), ICONS);
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 5 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lock parts merge into the lock one run writes', async () => {
    const paid = { cwd: dir, replicate: { token: TOKEN, baseUrl: fake.baseUrl }, cacheDir: 'cache' };
    const first = await runRecipes(FILES, { ...paid, out: 'first', lock: 'first.lock' });
    expect(first.lockWritten).toBe(true);
    expect(fake.counts.create).toBe(19);
    // Both from the same warm cache, each into a lock of its own.
    const single = await runRecipes(FILES, { ...paid, out: 'single', lock: 'single.lock' });
    expect(single.lockWritten).toBe(true);
    for (let index = 1; index <= 3; index++) {
      const part = await runRecipes(FILES, {
        ...paid,
        out: 'sharded',
        lock: 'sharded.lock',
        shard: { index, count: 3 },
      });
      expect(part.lockWritten).toBe(true);
      expect(part.lockPath).toBe(join(dir, 'sharded.lock'));
    }
    expect(await readdir(dir)).not.toContain('sharded.lock');
    const names = await readdir(join(dir, 'sharded'));
    expect(names.filter((name) => name.startsWith('assetgen.lock.')).sort()).toEqual([
      'assetgen.lock.shard-1-of-3',
      'assetgen.lock.shard-2-of-3',
      'assetgen.lock.shard-3-of-3',
    ]);
    const merged = await mergeShards({ cwd: dir, out: 'sharded' });
    expect(merged.lockPath).toBe(join(dir, 'sharded.lock'));
    expect(await readFile(join(dir, 'sharded.lock'), 'utf8')).toBe(
      await readFile(join(dir, 'single.lock'), 'utf8'),
    );
    expect(await readFile(join(dir, 'sharded', 'manifest.json'), 'utf8')).toBe(
      await readFile(join(dir, 'single', 'manifest.json'), 'utf8'),
    );
    expect((await readdir(join(dir, 'sharded'))).filter((name) => name.includes('shard-'))).toEqual([]);
    expect(fake.counts.create).toBe(19); // the warm runs created nothing
  });

  it('a shard estimates only its own tasks and holds recipe budgets ÷ n (or its --max-cost)', async () => {
    const budgeted = TILES.replace('name: tiles\n', 'name: tiles\nbudget: { max_usd: 0.05 }\n');
    await writeFile(join(dir, 'budget.yaml'), budgeted);
    const replicate = { token: TOKEN, baseUrl: fake.baseUrl };
    const whole = await planRecipes(['budget.yaml'], { cwd: dir, cacheDir: 'cold', replicate });
    expect(whole.overBudget).toBeNull(); // 14 × $0.003 = $0.042 ≤ $0.05
    const shard = await planRecipes(['budget.yaml'], {
      cwd: dir,
      cacheDir: 'cold',
      replicate,
      shard: { index: 1, count: 2 },
    });
    expect(shard.summary.shard).toEqual({ index: 1, count: 2 });
    expect(shard.summary.budgets[0]).toMatchObject({ maxUsd: 0.025 });
    expect(shard.summary.estimatedUsd).toBeCloseTo(0.003 * shard.summary.assets, 9);
    // --max-cost gives the shard its own budget: the recipe's holds whole.
    const own = await planRecipes(['budget.yaml'], {
      cwd: dir,
      cacheDir: 'cold',
      replicate,
      maxUsd: 1,
      shard: { index: 1, count: 2 },
    });
    expect(own.summary.budgets.map((budget) => budget.maxUsd)).toEqual([0.05, 1]);
  });
});
