/**
 * The designer's loop on the real CLI, offline: run a recipe with variants, `pick` one, and the next run
 * says how many stale files the other variants left (the first few by path, the hint `run --prune`);
 * `run --prune` removes exactly them and says what it kept; `run --frozen --prune` restores then prunes;
 * `check --prune` is refused (check writes nothing).
 */
import { cp, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const recipesDir = resolve(import.meta.dirname, '../../recipes');

describe('run --prune', () => {
  let dir: string;
  const cli = (args: string[]) => runCli(args, { cwd: dir });
  const local = ['--provider', 'local', '--quiet'];

  beforeAll(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'assetgen-prune-')));
    await cp(join(recipesDir, 'blog-heroes.yaml'), join(dir, 'recipes', 'blog-heroes.yaml'));
    await cp(join(recipesDir, 'assets'), join(dir, 'recipes', 'assets'), { recursive: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const launch = (seed: number) =>
    ['640w.avif', '640w.webp', '1280w.avif', '1280w.webp']
      .map((end) => `output/heroes/launch/launch-${seed}-${end}`)
      .sort();

  it('pick → the run lists the stale files with the hint → --prune removes exactly them', {
    timeout: 180_000,
  }, async () => {
    const first = await cli(['run', 'recipes/blog-heroes.yaml', ...local]);
    expect(first.code).toBe(0);
    expect(first.err).not.toMatch(/stale/);

    const picked = await cli(['pick', 'recipes/blog-heroes.yaml', 'launch', 'seed=42']);
    expect(picked.code).toBe(0);
    const listed = await cli(['run', 'recipes/blog-heroes.yaml', ...local]);
    expect(listed.code).toBe(0);
    expect(listed.err).toContain(
      '4 stale files in output/: assetgen wrote them, the manifest no longer lists them (run --prune to remove them)',
    );
    for (const path of launch(7)) expect(listed.err).toContain(`  ${path}`);

    // Someone's file in the output folder, and one of the stale files replaced by someone.
    await writeFile(join(dir, 'output', 'notes.txt'), 'mine');
    await writeFile(join(dir, launch(7)[0] ?? ''), 'my version');
    const pruned = await cli(['run', 'recipes/blog-heroes.yaml', ...local, '--prune']);
    expect(pruned.code).toBe(0);
    expect(pruned.err).toContain('pruned: removed 3 stale files from output/');
    expect(pruned.err).toContain(
      `kept 1 file that the manifest no longer lists but assetgen did not remove:\n  ${launch(7)[0]} (its size changed since assetgen wrote it)`,
    );
    const left = (await readdir(join(dir, 'output'), { recursive: true })).map((path) => `output/${path}`);
    for (const path of launch(7).slice(1)) expect(left).not.toContain(path);
    for (const path of launch(42)) expect(left).toContain(path);
    expect(await readFile(join(dir, 'output', 'notes.txt'), 'utf8')).toBe('mine');
    expect(await readFile(join(dir, launch(7)[0] ?? ''), 'utf8')).toBe('my version');

    const quiet = await cli(['run', 'recipes/blog-heroes.yaml', ...local, '--prune']);
    expect(quiet.err).not.toMatch(/stale|pruned|kept/);
  });

  it('check --prune is refused; run --frozen --prune restores, then prunes', {
    timeout: 180_000,
  }, async () => {
    const check = await cli(['check', 'recipes/blog-heroes.yaml', '--provider', 'local', '--prune']);
    expect(check.code).toBe(2);
    expect(check.err).toContain('check writes nothing, so --prune removes nothing there');

    await cli(['pick', 'recipes/blog-heroes.yaml', 'launch', '--clear']);
    expect((await cli(['run', 'recipes/blog-heroes.yaml', ...local])).code).toBe(0);
    await cli(['pick', 'recipes/blog-heroes.yaml', 'launch', 'seed=7']);
    const frozen = await cli(['run', 'recipes/blog-heroes.yaml', ...local, '--frozen', '--prune']);
    expect(frozen.code).toBe(0);
    expect(frozen.err).toContain('pruned: removed 4 stale files from output/');
    const left = (await readdir(join(dir, 'output'), { recursive: true })).map((path) => `output/${path}`);
    for (const path of launch(42)) expect(left).not.toContain(path);
    for (const path of launch(7)) expect(left).toContain(path);
  });
});
