/**
 * Deployment steps against the fake Replicate: the deployment looked up before anything is spent, the step
 * checked against its release's model version (wrong input refused at its line before any create), run
 * through `POST /deployments/{owner}/{name}/predictions`, cached on the next run, validated offline from
 * the lock's pin, and a new release made a new task.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecipeError, runRecipes, validateRecipes } from '../../src/index.js';
import { tinyMaker } from '../fake-replicate/helpers.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';

const TOKEN = 'r8_deployment-test-token';
const FORGE = 'acme/pixel-forge';
const DEPLOYMENT = 'acme/forge-prod';

const forgeInput = (styles: string[]) => ({
  type: 'object',
  required: ['prompt'],
  properties: {
    prompt: { type: 'string', 'x-order': 0 },
    style: { type: 'string', enum: styles, default: 'flat', 'x-order': 1 },
    steps: { type: 'integer', minimum: 1, maximum: 50, default: 20, 'x-order': 2 },
    seed: { type: 'integer', 'x-order': 3 },
  },
});
const FILES = { type: 'array', items: { type: 'string', format: 'uri' } };

const RECIPE = (step: string) => `name: forge
assets:
  - id: red
  - id: blue
steps:
  - id: art
${step}
outputs:
  - path: "{{ id }}.png"
`;
const DEPLOYED = (input: string) => RECIPE(`    deployment: ${DEPLOYMENT}\n    input: ${input}`);

const problemLines = (
  problems: readonly { location: { line: number; column: number }; path: string; message: string }[],
) => problems.map((p) => `${p.location.line}:${p.location.column} ${p.path}: ${p.message}`);

describe('a deployment step', () => {
  let dir: string;
  let fake: FakeReplicate;
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });
  const recipe = () => join(dir, 'forge.yaml');
  const creates = () => fake.counts.create + fake.counts.deploymentCreate;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-deploy-'));
    fake = await startFakeReplicate({
      token: TOKEN,
      behaviour: { runMs: 5 },
      makeOutputs: tinyMaker,
      extraModels: [
        {
          ref: FORGE,
          versions: [{ openapiSchema: buildOpenApiSchema(forgeInput(['flat', 'neon']), FILES) }],
        },
      ],
      deployments: [{ ref: DEPLOYMENT, model: FORGE }],
    });
  }, 60_000);
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("is checked against its release's model version: a wrong input is refused at its line before any create", async () => {
    await writeFile(recipe(), DEPLOYED('{ prompt: "a {{ id }} tile", style: neon-glow }'));
    const result = await validateRecipes([recipe()], { cwd: dir, replicate: replicate() });
    const version = fake.models.get(FORGE)?.latest.id ?? '';
    expect(problemLines(result.problems)).toEqual([
      `8:48 steps[0].input.style: expected one of "flat", "neon" for ${FORGE}:${version.slice(0, 12)} input "style" but received "neon-glow" of type string`,
    ]);
    expect(fake.counts.deploymentGet).toBe(1);
    expect(fake.counts.versionGet).toBe(1);
    await expect(runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() })).rejects.toThrow(
      RecipeError,
    );
    expect(creates()).toBe(0);
  });

  it('names model: or deployment:, not both, and an unknown deployment is refused at its line', async () => {
    await writeFile(
      recipe(),
      RECIPE(`    model: ${FORGE}\n    deployment: ${DEPLOYMENT}\n    input: { prompt: x }`),
    );
    const both = await validateRecipes([recipe()], { cwd: dir, replicate: replicate() });
    expect(problemLines(both.problems)).toEqual([
      '8:5 steps[0].deployment: a step names model: or deployment:, not both; remove one of them',
    ]);
    await writeFile(recipe(), RECIPE('    deployment: acme/forge-prdo\n    input: { prompt: x }'));
    const missing = await validateRecipes([recipe()], { cwd: dir, replicate: replicate() });
    expect(problemLines(missing.problems)).toEqual([
      '7:17 steps[0].deployment: Replicate has no deployment "acme/forge-prdo" that this token can see; check the name and the token\'s account',
    ]);
    // Without a token and never pinned: its model is unknown, so it cannot be checked (or run).
    const offline = await validateRecipes([recipe()], { cwd: dir });
    expect(offline.problems.map((p) => p.message)).toEqual([
      expect.stringContaining('deployment "acme/forge-prdo" was never looked up'),
    ]);
    expect(creates()).toBe(0);
  });

  it('runs end to end through the deployment endpoint, and the lock pins its release', async () => {
    await writeFile(recipe(), DEPLOYED('{ prompt: "a {{ id }} tile", style: neon }'));
    fake.resetCounts();
    const report = await runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() });
    expect(report.status).toBe('ok');
    expect(report.made).toBe(2);
    expect(fake.counts.deploymentCreate).toBe(2);
    expect(fake.counts.create).toBe(0);
    const version = fake.models.get(FORGE)?.latest.id;
    for (const prediction of fake.predictions.list()) {
      expect(prediction).toMatchObject({ deployment: DEPLOYMENT, model: FORGE, version });
      expect(prediction.input).toMatchObject({ style: 'neon', steps: 20 });
    }
    const manifest = JSON.parse(await readFile(join(dir, 'out', 'manifest.json'), 'utf8'));
    const written = manifest.recipes.forge.assets[0].outputs[0];
    expect(written).toMatchObject({ placeholder: false, path: expect.stringMatching(/red\.png$/) });
    const png = await readFile(join(dir, 'out', written.path));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(manifest.recipes.forge.assets[0].steps[0]).toMatchObject({
      model: FORGE,
      version,
      deployment: DEPLOYMENT,
    });
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8'));
    expect(lock.deployments[DEPLOYMENT]).toEqual({
      model: FORGE,
      version,
      schema: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('a second run is all cached: the deployment looked up again, nothing created', async () => {
    fake.resetCounts();
    const report = await runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() });
    expect(report.status).toBe('ok');
    expect(report.cached).toBe(2);
    expect(report.made).toBe(0);
    expect(creates()).toBe(0);
    expect(fake.counts.deploymentGet).toBe(1);
    expect(fake.counts.versionGet).toBe(0);
  });

  it('validates offline from the pin: no token, no request, a wrong input still refused', async () => {
    const before = fake.counts.total;
    const ok = await validateRecipes([recipe()], { cwd: dir });
    expect(ok.ok).toBe(true);
    await writeFile(recipe(), DEPLOYED('{ prompt: "a {{ id }} tile", style: retro }'));
    const bad = await validateRecipes([recipe()], { cwd: dir });
    expect(bad.problems.map((p) => p.path)).toEqual(['steps[0].input.style']);
    // Offline (`--provider local`) it runs on the stand-in of its model's kind.
    await writeFile(recipe(), DEPLOYED('{ prompt: "a {{ id }} tile", style: neon }'));
    const local = await runRecipes([recipe()], { cwd: dir, out: 'local-out', provider: 'local' });
    expect(local.status).toBe('ok');
    expect(local.made).toBe(2);
    expect(fake.counts.total).toBe(before);
  });

  it("a new release is a new task, checked against the new version's schema", async () => {
    const newer = fake.models.addVersion(FORGE, {
      openapiSchema: buildOpenApiSchema(forgeInput(['flat', 'neon', 'retro']), FILES),
    });
    fake.deployments.set({ ref: DEPLOYMENT, model: FORGE, version: newer.id });
    await writeFile(recipe(), DEPLOYED('{ prompt: "a {{ id }} tile", style: retro }'));
    fake.resetCounts();
    const report = await runRecipes([recipe()], { cwd: dir, out: 'out', replicate: replicate() });
    expect(report.made).toBe(2);
    expect(fake.counts.deploymentCreate).toBe(2);
    const lock = JSON.parse(await readFile(join(dir, 'assetgen.lock'), 'utf8'));
    expect(lock.deployments[DEPLOYMENT].version).toBe(newer.id);
  });
});
