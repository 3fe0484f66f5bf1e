/**
 * Quality gates against the fake Replicate server (real HTTP, real pictures): a black safety-filter
 * picture is made again with a new seed, a cut-out with no subject fails after its tries, each try is a
 * counted cost inside the budget, and a bad result in the cache is never served as good.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ManifestModelStep } from '../../src/manifest/types.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { createReplicateProvider } from '../../src/providers/replicate/index.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import type { RunEvent } from '../../src/run/events.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';
import {
  type FakeReplicate,
  type MakeOutputs,
  renderPlaceholder,
  startFakeReplicate,
} from '../fake-replicate/index.js';

const TOKEN = 'r8_gates-test-token';
const catalog = createCatalog();

const black = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
const transparent = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
    .png()
    .toBuffer();

let fake: FakeReplicate;
let dir: string;
let seeds: number[];

/** The fake's own pictures, except that the first flux-schnell picture is black (a safety filter). */
function maker(options: { blackFirst?: number; emptyCutOut?: boolean } = {}): MakeOutputs {
  let generated = 0;
  return async (request) => {
    if (request.catalog.kind === 'text-to-image') {
      seeds.push(Number(request.input.seed));
      generated += 1;
      if (generated <= (options.blackFirst ?? 0)) {
        return { files: [await black(64, 64)], contentType: 'image/png' };
      }
    }
    if (request.catalog.kind === 'background-removal' && options.emptyCutOut === true) {
      return { files: [await transparent(64, 64)], contentType: 'image/png' };
    }
    return renderPlaceholder(request);
  };
}

function recipe(extra = '', cutOut = false): string {
  return `name: gates
${extra}assets:
  - id: mug
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "a mug", megapixels: "0.25" }
${cutOut ? '  - id: cut\n    model: cjwbw/rembg\n' : ''}outputs:
  - path: "{{ id }}.png"
`;
}

function run(text: string, options: { maxUsd?: number; cache?: string } = {}) {
  const events: RunEvent[] = [];
  const plan = createPlan([parseRecipeText(text, 'gates.yaml', { catalog })], catalog);
  const provider = createReplicateProvider({
    token: TOKEN,
    baseUrl: fake.baseUrl,
    poll: { firstDelayMs: 5 },
  });
  const result = runPlan(plan, {
    provider,
    cache: createCache(join(dir, options.cache ?? 'cache')),
    outDir: join(dir, 'out'),
    onEvent: (event) => events.push(event),
    ...(options.maxUsd === undefined ? {} : { maxUsd: options.maxUsd }),
  });
  return result.then((value) => ({ ...value, events, asset: value.recipes[0]?.assets[0] }));
}

const stepOf = (asset: { steps: readonly { id: string }[] } | undefined, id: string) =>
  asset?.steps.find((step) => step.id === id) as ManifestModelStep | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'assetgen-gates-'));
  seeds = [];
});
afterEach(async () => {
  await fake?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('quality gates', () => {
  it('makes a black picture again with a new derived seed, counts both tries, and pays nothing on a re-run', async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: maker({ blackFirst: 1 }),
      behaviour: { runMs: 5 },
    });
    const first = await run(recipe());
    expect(first.failed).toBe(0);
    expect(fake.counts.create).toBe(2);
    expect(seeds).toHaveLength(2);
    expect(seeds[1]).not.toBe(seeds[0]);
    const gen = stepOf(first.asset, 'gen');
    expect(gen?.tries).toHaveLength(2);
    expect(gen?.tries?.[0]?.check).toMatchObject({ gate: 'blank' });
    expect(gen?.tries?.[0]?.check?.reason).toContain('#000000');
    expect(gen?.tries?.[0]?.seed).toBe(seeds[0]);
    expect(gen?.tries?.[1]).toMatchObject({ check: null, seed: seeds[1] });
    expect(gen?.seed).toBe(seeds[1]);
    const perTry = (gen?.tries ?? []).map((t) => t.actual_usd ?? 0);
    expect(perTry.every((usd) => usd > 0)).toBe(true);
    expect(first.spentUsd).toBeCloseTo(
      perTry.reduce((a, b) => a + b, 0),
      9,
    );
    const failedCheck = first.events.find((e) => e.type === 'check-failed');
    expect(failedCheck).toMatchObject({
      gate: 'blank',
      attempt: 1,
      attempts: 2,
      retrying: true,
      cached: false,
    });
    // The output is the second try's picture, not black.
    const { data } = await sharp(join(dir, 'out', 'gates', 'mug.png'))
      .stats()
      .then((s) => ({ data: s }));
    expect(Math.max(...data.channels.map((c) => c.stdev))).toBeGreaterThan(2);

    // Re-run: the bad first try is in the cache and is checked again (never served as good); the second
    // try is in the cache too. No request, no spend.
    fake.resetCounts();
    const again = await run(recipe());
    expect(again.failed).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect(again.spentUsd).toBe(0);
    const cached = stepOf(again.asset, 'gen');
    expect(cached?.tries?.map((t) => [t.cache_hit, t.check?.gate ?? null])).toEqual([
      [true, 'blank'],
      [true, null],
    ]);
    expect(again.events.find((e) => e.type === 'check-failed')).toMatchObject({ cached: true });
  });

  it('checks a cached result from the measurements in its record; a record without them is measured again', async () => {
    fake = await startFakeReplicate({ token: TOKEN, makeOutputs: maker(), behaviour: { runMs: 5 } });
    const first = await run(recipe());
    expect(first.failed).toBe(0);
    expect(fake.counts.create).toBe(1);
    const folder = join(dir, 'cache', 'tasks');
    // The model step's record (the output's encode has one too, in an order set by the keys' hashes).
    const files = (await readdir(folder, { recursive: true })).filter((name) => name.endsWith('.json'));
    const records = await Promise.all(
      files.map(async (name) => ({
        path: join(folder, name),
        record: JSON.parse(await readFile(join(folder, name), 'utf8')),
      })),
    );
    const found = records.find((entry) => entry.record.kind === 'model');
    const path = found?.path ?? '';
    const record = found?.record;
    expect(record.pixels.v).toBe(1);
    expect(record.pixels.files).toHaveLength(1);
    expect(record.pixels.files[0].maxStdev).toBeGreaterThan(2);

    // The record says blank: the re-run believes it (the picture is not decoded) and makes it again.
    const blank = { ...record.pixels.files[0], maxStdev: 0, meanColour: '#000000' };
    await writeFile(path, JSON.stringify({ ...record, pixels: { v: 1, files: [blank] } }));
    fake.resetCounts();
    const told = await run(recipe());
    expect(told.failed).toBe(0);
    expect(fake.counts.create).toBe(1);
    expect(stepOf(told.asset, 'gen')?.tries?.[0]).toMatchObject({
      cache_hit: true,
      check: { gate: 'blank' },
    });

    // Without measurements (a record of an older assetgen, or another measure version) the picture is
    // decoded and measured: it passes, nothing is made.
    const { pixels: _dropped, ...older } = record;
    await writeFile(path, JSON.stringify(older));
    fake.resetCounts();
    const measured = await run(recipe());
    expect(measured.failed).toBe(0);
    expect(fake.counts.create).toBe(0);
    expect(stepOf(measured.asset, 'gen')?.tries).toBeUndefined();
  });

  it('does not serve a bad cached result as good once gates are on', async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: maker({ blackFirst: 1 }),
      behaviour: { runMs: 5 },
    });
    const unchecked = await run(recipe('checks: false\n'));
    expect(unchecked.failed).toBe(0);
    expect(stepOf(unchecked.asset, 'gen')?.tries).toBeUndefined();
    expect(fake.counts.create).toBe(1);
    const checked = await run(recipe());
    expect(checked.failed).toBe(0);
    expect(fake.counts.create).toBe(2);
    expect(stepOf(checked.asset, 'gen')?.tries?.[0]).toMatchObject({
      cache_hit: true,
      check: { gate: 'blank' },
    });
  });

  it('fails a cut-out with no subject after its tries, each try a counted cost', async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: maker({ emptyCutOut: true }),
      behaviour: { runMs: 5 },
    });
    const result = await run(recipe('checks: { retries: 2 }\n', true));
    expect(result.failed).toBe(1);
    expect(result.asset?.status).toBe('failed');
    expect(result.asset?.error).toContain('the cut-out keeps almost nothing (0.0 % of its pixels opaque)');
    expect(result.asset?.error).toContain('3 tries');
    // One picture, three cut-outs (rembg takes no seed: each retry is its own task all the same).
    expect(fake.counts.create).toBe(4);
    const cut = stepOf(result.asset, 'cut');
    expect(cut?.tries).toHaveLength(3);
    expect(cut?.tries?.every((t) => t.check?.gate === 'alpha' && t.cache_hit === false)).toBe(true);
    const gen = stepOf(result.asset, 'gen');
    const spent = [gen?.actual_usd ?? 0, ...(cut?.tries ?? []).map((t) => t.actual_usd ?? 0)];
    expect(result.spentUsd).toBeCloseTo(
      spent.reduce((a, b) => a + b, 0),
      9,
    );
    expect(
      result.events
        .filter((e) => e.type === 'check-failed')
        .map((e) => e.type === 'check-failed' && e.retrying),
    ).toEqual([true, true, false]);
  });

  it('stops retrying when the budget has no room for another try, with the gate as the reason', async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: maker({ blackFirst: 5 }),
      behaviour: { runMs: 5 },
    });
    // flux-schnell is $0.003 a picture: room for one try, not two.
    const result = await run(recipe('checks: { retries: 3 }\n'), { maxUsd: 0.004 });
    expect(fake.counts.create).toBe(1);
    expect(result.asset?.status).toBe('failed');
    expect(result.asset?.error).toMatch(/is blank .*; no budget left for try 2 of 4/);
    expect(stepOf(result.asset, 'gen')?.tries).toHaveLength(1);
  });

  it('lets a step turn its gates off or tune them', async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: maker({ blackFirst: 5 }),
      behaviour: { runMs: 5 },
    });
    const off = recipe().replace(
      '    input: { prompt: "a mug", megapixels: "0.25" }\n',
      '    input: { prompt: "a mug", megapixels: "0.25" }\n    checks: false\n',
    );
    const result = await run(off);
    expect(result.failed).toBe(0);
    expect(fake.counts.create).toBe(1);
    const none = await run(recipe('checks: { retries: 0 }\n'), { cache: 'other' });
    expect(none.asset?.error).toContain('(check blank, 1 try)');
  });
});
