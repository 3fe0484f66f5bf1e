/**
 * Where prices come from: the catalog's published prices (page and date), the recipe's `price:`, and
 * this project's own history (past runs against the fake Replicate, read from the cache and the lock).
 * A model with no price at all is refused under a budget, at the step, saying how to price it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BudgetError, planRecipes, runRecipes } from '../../src/index.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { buildOpenApiSchema } from '../fake-replicate/openapi.js';
import { runCli } from '../helpers/cli.js';

const TOKEN = 'fake-price-sources-token';
const PAINTER_DOC = buildOpenApiSchema(
  {
    type: 'object',
    required: ['prompt'],
    properties: { prompt: { type: 'string', 'x-order': 0 } },
  },
  { type: 'array', items: { type: 'string', format: 'uri' } },
);

const recipe = (lines: string[]): string =>
  [
    'name: shots',
    'assets:',
    '  - id: a',
    'steps:',
    ...lines,
    'outputs:',
    '  - path: "{{ id }}.png"',
    '    widths: [16]',
    '',
  ].join('\n');

const SCHNELL = [
  '  - id: art',
  '    model: black-forest-labs/flux-schnell',
  '    input: { prompt: a tile, megapixels: "0.25" }',
];
const upscale = (scale: number, price?: string): string[] => [
  '  - id: big',
  '    model: nightmareai/real-esrgan',
  `    input: { scale: ${scale} }`,
  ...(price === undefined ? [] : [`    price: ${price}`]),
];

describe('price sources', () => {
  let dir: string;
  let fake: FakeReplicate;
  const replicate = () => ({ token: TOKEN, baseUrl: fake.baseUrl });
  const write = (text: string) => writeFile(join(dir, 'shots.yaml'), text);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-prices-'));
    fake = await startFakeReplicate({
      token: TOKEN,
      behaviour: { runMs: 40 },
      extraModels: [{ ref: 'acme/painter', official: false, versions: [{ openapiSchema: PAINTER_DOC }] }],
    });
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('plan says where each price came from: catalog page and date, recipe, none', async () => {
    await write(
      recipe([
        ...SCHNELL,
        ...upscale(2),
        '  - id: paint',
        '    model: acme/painter',
        '    input: { prompt: a tile }',
        '    price: { per_image: 0.01 }',
      ]),
    );
    const plan = await planRecipes(['shots.yaml'], { cwd: dir });
    const byModel = Object.fromEntries(plan.summary.models.map((m) => [m.model, m]));
    expect(byModel['black-forest-labs/flux-schnell']).toMatchObject({
      estimatedUsd: 0.003,
      price: {
        source: 'catalog',
        url: 'https://internal.replicate.com/black-forest-labs/flux-schnell',
        read: '2026-12-01',
      },
    });
    expect(byModel['acme/painter']).toMatchObject({ estimatedUsd: 0.01, price: { source: 'recipe' } });
    expect(byModel['nightmareai/real-esrgan']).toMatchObject({
      estimatedUsd: null,
      price: { source: null, unpriced: expect.stringContaining('no published price') },
    });

    const text = await runCli(['plan', 'shots.yaml'], { cwd: dir });
    expect(text.code).toBe(0);
    const row = (model: string) => text.out.split('\n').find((line) => line.includes(model)) ?? '';
    expect(row('flux-schnell')).toMatch(
      /\$0\.003 {2}catalog: internal\.replicate\.com\/black-forest-labs\/flux-schnell, read 2026-12-01$/,
    );
    expect(row('acme/painter')).toMatch(/\$0\.01 {2}recipe$/);
    expect(row('real-esrgan')).toMatch(/unknown {2}none$/);

    const json = await runCli(['plan', 'shots.yaml', '--json'], { cwd: dir });
    const event = json.out
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; summary?: { models: unknown[] } })
      .find((line) => line.type === 'plan');
    expect(event?.summary?.models).toContainEqual(
      expect.objectContaining({ model: 'acme/painter', price: { source: 'recipe' } }),
    );
  });

  it('a model with no price is refused under a budget at its step; after runs, history prices it', async () => {
    await write(recipe([...SCHNELL, ...upscale(2)]));
    // No price, no history: refused before anything is created, at the step's model line.
    const refused = await runRecipes(['shots.yaml'], {
      cwd: dir,
      out: 'o',
      maxUsd: 1,
      replicate: replicate(),
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BudgetError);
    const error = refused as BudgetError;
    expect(error.message).toContain('the cost of nightmareai/real-esrgan (step big of shots/a) is unknown');
    expect(error.message).toContain('no past runs: add price:');
    expect(error.location).toMatchObject({ line: 9, column: 12 });
    expect(fake.counts.create).toBe(0);

    // One run without a budget: Replicate reports the run time, not a cost.
    const first = await runRecipes(['shots.yaml'], { cwd: dir, out: 'o', replicate: replicate() });
    expect(first.status).toBe('ok');
    await write(recipe([...SCHNELL, ...upscale(4)]));
    const timed = await planRecipes(['shots.yaml'], { cwd: dir, maxUsd: 1, replicate: replicate() });
    expect(timed.overBudget?.message).toMatch(/1 past run recorded a run time \(mean 0\.0 s\) but no cost/);
    expect(timed.overBudget?.message).toContain("add price: { per_second: <its hardware's $/s> }");

    // The hardware's rate from the recipe, the run time from that run.
    await write(recipe([...SCHNELL, ...upscale(4, '{ per_second: 0.000225 }')]));
    const rated = await planRecipes(['shots.yaml'], { cwd: dir, maxUsd: 1, replicate: replicate() });
    const esrgan = rated.summary.models.find((m) => m.model === 'nightmareai/real-esrgan');
    expect(esrgan?.price).toEqual({ source: 'recipe', runs: 1 });
    expect(esrgan?.estimatedUsd).toBeCloseTo(0.000225 * 0.04, 9);
    expect(rated.overBudget).toBeNull();
    // That run is booked at its actual cost (predict_time × the recipe's rate) in the cache and the lock.
    const second = await runRecipes(['shots.yaml'], { cwd: dir, out: 'o', replicate: replicate() });
    expect(second.status).toBe('ok');

    // Price removed, input changed (a new task): history prices it from the actual cost of past runs.
    await write(recipe([...SCHNELL, ...upscale(3)]));
    const fromHistory = await planRecipes(['shots.yaml'], { cwd: dir, maxUsd: 1, replicate: replicate() });
    const priced = fromHistory.summary.models.find((m) => m.model === 'nightmareai/real-esrgan');
    expect(priced?.price).toMatchObject({ source: 'history', runs: 1 });
    expect(priced?.estimatedUsd).toBeCloseTo(0.000225 * 0.04, 9);
    expect(fromHistory.overBudget).toBeNull();
    const text = await runCli(['plan', 'shots.yaml'], { cwd: dir });
    expect(text.out).toMatch(/nightmareai\/real-esrgan .* {2}history: 1 past run$/m);
  });

  it('a model outside the catalog: its run time comes from its own past runs', async () => {
    const painter = (price: string) =>
      recipe([
        '  - id: paint',
        '    model: acme/painter',
        '    input: { prompt: a tile }',
        `    price: ${price}`,
      ]);
    await write(painter('{ per_second: 0.001 }'));
    const before = await planRecipes(['shots.yaml'], { cwd: dir, maxUsd: 1, replicate: replicate() });
    expect(before.overBudget?.message).toContain(
      'has no typical_seconds and no past run recorded its run time',
    );
    expect(before.overBudget?.location).toMatchObject({ line: 6, column: 12 });
    const run = await runRecipes(['shots.yaml'], { cwd: dir, out: 'p', replicate: replicate() });
    expect(run.status).toBe('ok');
    await write(
      painter('{ per_second: 0.002 }').replace('a tile', 'a red tile').replace('a tile', 'a red tile'),
    );
    const after = await planRecipes(['shots.yaml'], { cwd: dir, maxUsd: 1, replicate: replicate() });
    const model = after.summary.models.find((m) => m.model === 'acme/painter');
    expect(model?.price).toEqual({ source: 'recipe', runs: 1 });
    expect(model?.estimatedUsd).toBeCloseTo(0.002 * 0.04, 9);
  });
});
