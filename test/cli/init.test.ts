/**
 * `assetgen init`: the starter recipe validates and runs offline, its `$schema` line points at a schema
 * file that exists (installed as a dependency, or inside this repository), `.gitignore` gets its line once,
 * nothing is ever overwritten; and every command's `--help` shows examples and exit codes.
 */
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { COMMANDS_WITH_HELP } from '../../src/cli/help-texts.js';
import type { Manifest } from '../../src/manifest/types.js';
import { initProject } from '../../src/scaffold/init.js';
import { runCli } from '../helpers/cli.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const schemaOf = (text: string): string => /^# yaml-language-server: \$schema=(\S+)\n/.exec(text)?.[1] ?? '';

describe('assetgen init', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-init-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('writes a starter recipe that validates and runs offline, .gitignore lines and a frozen CI workflow', async () => {
    const project = join(dir, 'site');
    const init = await runCli(['init', 'site'], { cwd: dir });
    expect(init.code).toBe(0);
    expect(init.out.split('\n')).toEqual([
      'wrote  site/recipes/starter.yaml',
      'wrote  site/.gitignore',
      'wrote  site/.github/workflows/assets.yml',
      '$schema: ../node_modules/assetgen/schema/recipe.schema.json (relative to the recipe)',
      'note: the $schema line points into node_modules/assetgen: install assetgen in this project (npm install --save-dev assetgen) for completion and inline errors in editors',
      'next: npx assetgen run site/recipes/starter.yaml   (offline until REPLICATE_API_TOKEN is set)',
    ]);
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toBe(
      '# assetgen: result cache and review page (kept in CI by actions/cache)\n.assetgen/\n',
    );
    const workflow = parse(await readFile(join(project, '.github/workflows/assets.yml'), 'utf8'));
    const steps = workflow.jobs.assets.steps as { uses?: string; run?: string; with?: { path?: string } }[];
    expect(steps.find((step) => step.uses === 'actions/cache@v4')?.with?.path).toBe('.assetgen/cache');
    expect(steps.map((step) => step.run)).toContain('npx assetgen run recipes/*.yaml --frozen');

    const validate = await runCli(['validate', 'recipes/starter.yaml'], { cwd: project });
    expect(validate.code, validate.err).toBe(0);
    const run = await runCli(['run', 'recipes/starter.yaml'], { cwd: project });
    expect(run.code, run.err).toBe(0);
    expect(run.err).toContain('provider: local');
    const manifest = JSON.parse(await readFile(join(project, 'output/manifest.json'), 'utf8')) as Manifest;
    const files = manifest.recipes.starter?.assets.flatMap((asset) => asset.outputs.map((o) => o.path));
    expect(files).toHaveLength(8);
    for (const file of files ?? []) await access(join(project, 'output', file));
  });

  it('never overwrites, appends the .gitignore line once, and says what it kept', async () => {
    const project = join(dir, 'existing');
    await mkdir(join(project, 'recipes'), { recursive: true });
    await writeFile(join(project, 'recipes/starter.yaml'), 'mine\n');
    await writeFile(join(project, '.gitignore'), 'node_modules/\ndist/');
    const first = await runCli(['init', 'existing'], { cwd: dir });
    expect(first.code).toBe(0);
    expect(first.out).toContain('kept   existing/recipes/starter.yaml (it exists: not overwritten)');
    expect(first.out).toContain('added  existing/.gitignore (the .assetgen/ line)');
    expect(await readFile(join(project, 'recipes/starter.yaml'), 'utf8')).toBe('mine\n');
    const ignore =
      'node_modules/\ndist/\n\n# assetgen: result cache and review page (kept in CI by actions/cache)\n.assetgen/\n';
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toBe(ignore);

    const second = await runCli(['init', 'existing'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.out).toContain('kept   existing/.gitignore (already ignores .assetgen/)');
    expect(second.out).toContain('kept   existing/.github/workflows/assets.yml (it exists: not overwritten)');
    expect(await readFile(join(project, '.gitignore'), 'utf8')).toBe(ignore);
  });

  it('a folder that is a file is a usage error (exit 2)', async () => {
    await writeFile(join(dir, 'plain-file'), 'x');
    const result = await runCli(['init', 'plain-file'], { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.err).toContain('is a file, not a folder');
  });
});

describe('the $schema line of the starter recipe', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-schema-ref-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const resolvesTo = async (recipeDir: string, text: string) => resolve(recipeDir, schemaOf(text));

  it('points into node_modules/assetgen when assetgen is installed in the project (or a folder above)', async () => {
    const project = join(dir, 'installed/app');
    const installed = join(dir, 'installed/node_modules/assetgen/schema/recipe.schema.json');
    await mkdir(dirname(installed), { recursive: true });
    await writeFile(installed, await readFile(join(repoRoot, 'schema/recipe.schema.json')));
    const result = await initProject(project, { packageRoot: repoRoot });
    expect(result.schemaRef).toBe('../../node_modules/assetgen/schema/recipe.schema.json');
    expect(result.note).toBeUndefined();
    const text = await readFile(join(project, 'recipes/starter.yaml'), 'utf8');
    expect(await resolvesTo(join(project, 'recipes'), text)).toBe(installed);
  });

  it('points at the repository’s own schema for a project inside the assetgen repository', async () => {
    const repo = join(dir, 'assetgen-repo');
    await mkdir(join(repo, 'schema'), { recursive: true });
    await writeFile(join(repo, 'schema/recipe.schema.json'), '{}');
    const atRoot = await initProject(repo, { packageRoot: repo });
    expect(atRoot.schemaRef).toBe('../schema/recipe.schema.json'); // what recipes/*.yaml of this repo use
    const nested = await initProject(join(repo, 'examples/demo'), { packageRoot: repo });
    expect(nested.schemaRef).toBe('../../../schema/recipe.schema.json');
    await access(resolve(repo, 'examples/demo/recipes', nested.schemaRef));
  });
});

describe('--help', () => {
  it('every command shows examples and its exit codes', async () => {
    const top = await runCli(['--help']);
    expect(top.out).toMatch(/Examples:\n {2}\$ assetgen init/);
    expect(top.out).toContain('Exit codes:');
    const section = top.out.slice(top.out.indexOf('Commands:'), top.out.indexOf('Examples:'));
    const commands = [...section.matchAll(/^ {2}(\w+)\b/gm)]
      .map((match) => match[1] ?? '')
      .filter((name) => name !== 'help');
    expect(commands.length).toBeGreaterThanOrEqual(10);
    for (const command of commands) {
      expect(COMMANDS_WITH_HELP, command).toContain(command);
      const help = await runCli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.out, command).toMatch(new RegExp(`Examples:\\n {2}\\$ assetgen ${command}`));
      expect(help.out, command).toMatch(/Exit codes:\n {2}\s*0 {2}\S/);
      expect(help.out, command).toMatch(/^ +2 {2}\S/m);
    }
    expect((await runCli(['run', '--help'])).out).toMatch(/^ {2}130 {2}interrupted/m);
  });
});
