/**
 * Profiles: one recipe, a draft and a final. The draft swaps flux-dev for flux-schnell with fewer steps
 * (Replicate's advice); `--profile draft` runs the swapped model against the fake, writes to
 * `<out>/draft/` with its own manifest and lock entries, and switching back and forth is a cache hit.
 */
import { mkdtemp, readdir, readFile, readlink, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/index.js';
import { planRecipes, runRecipes, validateRecipes } from '../../src/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { runCli } from '../helpers/cli.js';

/** The files this process holds open whose path starts with `prefix` (Linux's /proc; none elsewhere). */
async function filesOpenUnder(prefix: string): Promise<string[]> {
  const fds = await readdir('/proc/self/fd').catch(() => []);
  const targets = await Promise.all(fds.map((fd) => readlink(`/proc/self/fd/${fd}`).catch(() => '')));
  const real = join(await realpath(join(prefix, '..')), prefix.slice(prefix.lastIndexOf('/') + 1));
  return targets.filter((target) => target.startsWith(prefix) || target.startsWith(real));
}

const TOKEN = 'fake-profiles-token';
const RECIPE = `name: heroes
assets:
  - id: dune
steps:
  - id: art
    model: black-forest-labs/flux-dev
    input: { prompt: sand dunes at dawn, num_inference_steps: 28, guidance: 3.5, megapixels: "0.25" }
  - id: small
    image:
      - resize: { width: 64 }
outputs:
  - path: "{{ id }}.png"
profiles:
  draft:
    description: cheap and fast, to judge the prompts
    steps:
      art:
        model: black-forest-labs/flux-schnell
        input: { num_inference_steps: 2, guidance: null }
`;

async function problemsOf(dir: string, text: string, profile?: string): Promise<string[]> {
  await writeFile(join(dir, 'bad.yaml'), text);
  const result = await validateRecipes(['bad.yaml'], {
    cwd: dir,
    ...(profile === undefined ? {} : { profile }),
  });
  expect(result.ok).toBe(false);
  return result.problems.map((p) => `${p.location.line}:${p.location.column} ${p.path}: ${p.message}`);
}

describe('profiles', () => {
  let dir: string;
  let fake: FakeReplicate;
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });
  const models = () => fake.predictions.list().map((p) => p.model);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-profiles-'));
    await writeFile(join(dir, 'heroes.yaml'), RECIPE);
    fake = await startFakeReplicate({ token: TOKEN, behaviour: { runMs: 5 } });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('validation: unknown profile, unknown or image step, and the swapped model’s input — each located', async () => {
    expect(await problemsOf(dir, RECIPE, 'drat')).toEqual([
      '13:1 profiles: no profile "drat" in this recipe (did you mean "draft"?); it declares: draft',
    ]);
    expect(await problemsOf(dir, RECIPE.replace('      art:\n', '      arts:\n'))).toEqual([
      '17:7 profiles.draft.steps.arts: unknown step "arts" (did you mean "art"?); the recipe\'s model steps are: art',
    ]);
    expect(await problemsOf(dir, `${RECIPE}      small: { input: { x: 1 } }\n`)).toEqual([
      '20:7 profiles.draft.steps.small: step "small" is an image step: a profile changes model steps only',
    ]);
    // Without `guidance: null` the draft would send flux-dev's guidance to flux-schnell: found in the profile.
    const kept = await problemsOf(dir, RECIPE.replace(', guidance: null', ''), 'draft');
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatch(/^7:\d+ steps\[0\]\.input\.guidance: .*guidance/);
    const wrong = await problemsOf(
      dir,
      RECIPE.replace('num_inference_steps: 2,', 'num_inference_steps: 9,'),
      'draft',
    );
    expect(wrong).toHaveLength(1);
    expect(wrong[0]).toMatch(/^19:\d+ steps\[0\]\.input\.num_inference_steps: .*4/);
    // As written (no profile), and with it, the recipe is valid.
    expect((await validateRecipes(['heroes.yaml'], { cwd: dir })).ok).toBe(true);
    expect((await validateRecipes(['heroes.yaml'], { cwd: dir, profile: 'draft' })).ok).toBe(true);
    const cli = await runCli(['validate', 'heroes.yaml', '--profile', 'drat'], { cwd: dir });
    expect(cli.code).not.toBe(0);
    expect(cli.err).toContain('heroes.yaml:13:1');
  });

  it('--profile draft runs the swapped model; draft and final are kept apart; switching back is a cache hit', async () => {
    const draft = await runRecipes(['heroes.yaml'], {
      cwd: dir,
      out: 'out',
      profile: 'draft',
      replicate: replicate(),
    });
    expect(draft.status).toBe('ok');
    expect(models()).toEqual(['black-forest-labs/flux-schnell']);
    expect(fake.predictions.list()[0]?.input).toMatchObject({ num_inference_steps: 2 });
    expect(fake.predictions.list()[0]?.input).not.toHaveProperty('guidance');
    const draftManifest = JSON.parse(
      await readFile(join(dir, 'out', 'draft', 'manifest.json'), 'utf8'),
    ) as Manifest;
    expect(draftManifest.recipes.heroes?.profile).toBe('draft');
    expect(draftManifest.recipes.heroes?.assets[0]?.steps[0]).toMatchObject({
      model: 'black-forest-labs/flux-schnell',
    });
    await readFile(join(dir, 'out', 'draft', 'heroes', 'dune.png'));

    const final = await runRecipes(['heroes.yaml'], { cwd: dir, out: 'out', replicate: replicate() });
    expect(final.status).toBe('ok');
    expect(models()).toEqual(['black-forest-labs/flux-dev', 'black-forest-labs/flux-schnell']);
    const finalManifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8')) as Manifest;
    expect(finalManifest.recipes.heroes?.profile).toBeUndefined();
    expect(finalManifest.recipes.heroes?.assets[0]?.steps[0]).toMatchObject({
      model: 'black-forest-labs/flux-dev',
    });
    // The draft's manifest is untouched by the final run; the lock keeps both.
    const again = JSON.parse(await readFile(join(dir, 'out', 'draft', 'manifest.json'), 'utf8')) as Manifest;
    expect(again.recipes.heroes?.profile).toBe('draft');
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8')) as {
      tasks: Record<string, { model: string }>;
    };
    expect(lock.tasks['heroes/dune#art@draft']?.model).toBe('black-forest-labs/flux-schnell');
    expect(lock.tasks['heroes/dune#art']?.model).toBe('black-forest-labs/flux-dev');

    // Back to the draft, and to the final: everything is served from the cache.
    const creates = fake.counts.create;
    const redraft = await runRecipes(['heroes.yaml'], {
      cwd: dir,
      out: 'out',
      profile: 'draft',
      replicate: replicate(),
    });
    const refinal = await runRecipes(['heroes.yaml'], { cwd: dir, out: 'out', replicate: replicate() });
    expect([redraft.status, refinal.status]).toEqual(['ok', 'ok']);
    expect(fake.counts.create).toBe(creates);
    // The lock each read before the run (indexed on disk, held open) is closed when it is done.
    const plannedDraft = await planRecipes(['heroes.yaml'], {
      cwd: dir,
      profile: 'draft',
      replicate: replicate(),
    });
    expect(plannedDraft.lockPath).toBe(join(dir, 'assetgen.lock'));
    await validateRecipes(['heroes.yaml'], { cwd: dir });
    expect(await filesOpenUnder(join(dir, 'assetgen.lock'))).toEqual([]);
    const frozen = await runCli(['check', 'heroes.yaml', '--profile', 'draft'], { cwd: dir });
    expect(frozen.err).toContain('checked: made 0, cached 1, failed 0');
    expect(frozen.code).toBe(0);

    const plan = await runCli(['plan', 'heroes.yaml', '--profile', 'draft'], { cwd: dir });
    expect(plan.out).toMatch(/black-forest-labs\/flux-schnell +1 +0 +\$0 {2}catalog/);
  });
});
