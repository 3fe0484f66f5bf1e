/**
 * `assetgen pick` through the CLI against the fake Replicate: a picked variant that was made before comes
 * from the cache (no create), only it is made, bad picks exit 2 and leave the file as it was.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'r8_pick-test-token-0123456789abcdef';
const recipesDir = resolve(import.meta.dirname, '../../recipes');

describe('assetgen pick (fake Replicate)', () => {
  let fake: FakeReplicate;
  let dir: string;
  let env: Record<string, string>;
  const run = (args: string[]) => runCli(args, { cwd: dir, env });
  const recipe = () => readFile(join(dir, 'recipes', 'blog-heroes.yaml'), 'utf8');
  const made = async () => {
    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    return manifest.recipes['blog-heroes']?.assets.map(
      (asset) => `${asset.id} ${JSON.stringify(asset.variant)}`,
    );
  };

  beforeAll(async () => {
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 5 } });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-pick-'));
    await cp(recipesDir, join(dir, 'recipes'), { recursive: true });
    env = { REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl };
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('pins a variant made before: the next run makes only it, from the cache, with no create', async () => {
    const first = await run(['run', 'recipes/blog-heroes.yaml']);
    expect(first.code).toBe(0);
    expect(fake.counts.create).toBe(4);
    const original = await recipe();

    const pick = await run(['pick', 'recipes/blog-heroes.yaml', 'launch', 'seed=42']);
    expect(pick.code).toBe(0);
    expect(pick.out).toContain('recipes/blog-heroes.yaml: launch now makes seed=42');
    const picked = await recipe();
    expect(picked).toBe(
      original.replace(
        '  - id: launch\n    topic: a rocket lifting off over a calm sea at dawn\n',
        '  - id: launch\n    topic: a rocket lifting off over a calm sea at dawn\n    pick: { seed: 42 }\n',
      ),
    );
    expect(picked.startsWith('# yaml-language-server: $schema=../schema/recipe.schema.json\n#\n')).toBe(true);

    fake.resetCounts();
    const again = await run(['run', 'recipes/blog-heroes.yaml']);
    expect(again.code).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.total).toBe(0);
    expect(again.err).toMatch(/made 0, cached 3/);
    expect(await made()).toEqual(['launch {"seed":42}', 'roadmap {"seed":7}', 'roadmap {"seed":42}']);
  });

  it('refuses an unknown asset, variant or value with a suggestion, exit 2, file untouched', async () => {
    const before = await recipe();
    const cases: [string[], string][] = [
      [['lanch', 'seed=42'], 'has no asset "lanch" (did you mean "launch"?)'],
      [['launch', 'sed=42'], '"sed" is not a variant of recipes/blog-heroes.yaml (did you mean "seed"?)'],
      [
        ['launch', 'seed=41'],
        'expected one of 7, 42 for variant "seed" of launch but received 41 (did you mean 42?)',
      ],
      [['launch', 'seed'], 'expected name=value (e.g. seed=42) for a variant to pick but received "seed"'],
      [['launch', 'seed=7', '--clear'], '--clear takes no name=value'],
    ];
    for (const [args, message] of cases) {
      const result = await run(['pick', 'recipes/blog-heroes.yaml', ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.err).toContain(message);
      expect(result.err).not.toContain('bug');
    }
    expect(await recipe()).toBe(before);
    const missing = await run(['pick', 'recipes/nope.yaml', 'launch', 'seed=42']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('no such recipe file: recipes/nope.yaml');
  });

  it('takes values with spaces (quoted in the shell) and types them like the variant', async () => {
    const file = join(dir, 'recipes', 'styles.yaml');
    await writeFile(
      file,
      `name: styles
assets:
  - id: cup # a comment that stays
variants:
  style: [ink wash, "7", plain]
  seed: [1, 2]
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a cup, {{ style }}", megapixels: "0.25" }
outputs:
  - path: "{{ id }}-{{ style | slug }}-{{ seed }}.png"
`,
    );
    const result = await run(['pick', 'recipes/styles.yaml', 'cup', 'style=ink wash', 'seed=2']);
    expect(result.code, result.err).toBe(0);
    expect(result.out).toContain('cup now makes style="ink wash", seed=2');
    const seven = await run(['pick', 'recipes/styles.yaml', 'cup', 'style=7']);
    expect(seven.out).toContain('cup now makes style=7 (2 combinations of 6)');
    expect(await readFile(file, 'utf8')).toContain(
      '  - id: cup # a comment that stays\n    pick: { style: "7" }\n',
    );
  });

  it('--clear brings every variant back, again with no create', async () => {
    const clear = await run(['pick', 'recipes/blog-heroes.yaml', 'launch', '--clear']);
    expect(clear.code).toBe(0);
    expect(clear.out).toContain('launch now makes every variant (2 combinations) (was seed=42)');
    expect(await recipe()).not.toContain('pick:');
    fake.resetCounts();
    const again = await run(['run', 'recipes/blog-heroes.yaml']);
    expect(again.code).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect((await made())?.length).toBe(4);
    const same = await run(['pick', 'recipes/blog-heroes.yaml', 'launch', '--clear']);
    expect(same.out).toContain('the file is unchanged');
  });
});
