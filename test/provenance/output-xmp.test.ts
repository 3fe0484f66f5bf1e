/**
 * Provenance in the files: every output format carries the IPTC digital source type and the assetgen
 * record, read back by exiftool (a second, independent reader) and by assetgen's own reader; the same
 * run gives the same bytes; `provenance: none` writes no XMP; placeholders say so.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectImage } from '../../src/api/inspect.js';
import { readImageMetadata } from '../../src/image/index.js';
import { createCatalog } from '../../src/models/catalog.js';
import { createPlan } from '../../src/plan/plan.js';
import { IPTC_SOURCE_TYPES } from '../../src/provenance/xmp.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import type { Provider } from '../../src/providers/types.js';
import { parseRecipeText } from '../../src/recipe/index.js';
import { runPlan } from '../../src/run/runner.js';
import { createCache } from '../../src/store/cache.js';

const catalog = createCatalog();
const TOKEN = 'r8_provenance-secret-token-0123456789';
const FORMATS = ['png', 'webp', 'jpeg', 'avif'] as const;

const recipe = (provenance: string): string => `name: labels
provenance: ${provenance}
assets:
  - id: hero
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: 'a "red" fox & <friends>', megapixels: "0.25" }
outputs:
${FORMATS.map((f) => `  - { path: "{{ id }}.${f}", format: ${f}, widths: [48] }`).join('\n')}
`;

/** The local stand-in, reporting itself as a remote model with a prediction id (as Replicate would). */
function modelLikeProvider(): Provider {
  const local = createLocalProvider();
  return {
    ...local,
    name: 'replicate',
    predict: async (request) => ({
      ...(await local.predict(request)),
      provider: 'replicate',
      predictionId: `pred-${request.label.step}`,
    }),
  };
}

async function run(dir: string, text: string, provider: Provider): Promise<string> {
  const plan = createPlan([parseRecipeText(text, 'labels.yaml', { catalog })], catalog);
  const outDir = join(dir, 'out');
  const result = await runPlan(plan, { provider, cache: createCache(join(dir, 'cache')), outDir });
  expect(result.failed).toBe(0);
  return join(outDir, 'labels');
}

function exiftool(path: string): Record<string, unknown> {
  const out = execFileSync('exiftool', ['-j', '-struct', '-XMP:all', path], { encoding: 'utf8' });
  return (JSON.parse(out) as Record<string, unknown>[])[0] ?? {};
}

describe('provenance XMP in output files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-xmp-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('every format carries the source type and the assetgen record, read by exiftool and by inspect', async () => {
    const out = await run(join(dir, 'a'), recipe('ids'), modelLikeProvider());
    for (const format of FORMATS) {
      const path = join(out, `hero.${format}`);
      const tags = exiftool(path);
      expect(tags.DigitalSourceType, format).toBe(IPTC_SOURCE_TYPES.trained);
      expect(tags.Recipe, format).toBe('labels');
      expect(tags.Asset, format).toBe('hero');
      expect(String(tags.Generator), format).toMatch(/^assetgen \d+\.\d+\.\d+/);
      const steps = tags.Steps as Record<string, unknown>[];
      expect(steps[0], format).toMatchObject({ Id: 'art', Model: 'black-forest-labs/flux-schnell' });
      expect(steps[0]?.PredictionId, format).toBe('pred-art');
      expect(typeof steps[0]?.Seed, format).toBe('number');
      expect(String(steps[0]?.TaskKey), format).toMatch(/^[0-9a-f]{64}$/);
      expect(steps[0]?.Prompt, `${format}: no prompt at ids`).toBeUndefined();
      const inspected = await inspectImage(path);
      expect(inspected.format).toBe(format);
      expect(inspected.provenance?.digitalSourceType).toBe(IPTC_SOURCE_TYPES.trained);
      expect(inspected.provenance?.steps?.[0]?.seed).toBe(steps[0]?.Seed);
      expect(inspected.provenance?.steps?.[0]?.predictionId).toBe('pred-art');
      expect(inspected.provenance?.recipe).toBe('labels');
    }
  });

  it('full adds the prompt (escaped); two runs give the same bytes; the token never appears', async () => {
    const first = await run(join(dir, 'b1'), recipe('full'), modelLikeProvider());
    const second = await run(join(dir, 'b2'), recipe('full'), modelLikeProvider());
    for (const format of FORMATS) {
      const a = await readFile(join(first, `hero.${format}`));
      const b = await readFile(join(second, `hero.${format}`));
      expect(a.equals(b), `${format} is byte-identical across runs`).toBe(true);
      expect(a.includes(TOKEN)).toBe(false);
      const steps = exiftool(join(first, `hero.${format}`)).Steps as Record<string, unknown>[];
      expect(steps[0]?.Prompt).toBe('a "red" fox & <friends>');
    }
  });

  it('label writes only the source type; none writes no XMP at all', async () => {
    const labelled = await run(join(dir, 'c'), recipe('label'), modelLikeProvider());
    const none = await run(join(dir, 'd'), recipe('none'), modelLikeProvider());
    for (const format of FORMATS) {
      const tags = exiftool(join(labelled, `hero.${format}`));
      expect(tags.DigitalSourceType).toBe(IPTC_SOURCE_TYPES.trained);
      expect(tags.Recipe).toBeUndefined();
      expect(tags.Steps).toBeUndefined();
      expect((await readImageMetadata(join(none, `hero.${format}`))).xmp, format).toBeUndefined();
    }
  });

  it('offline placeholders are marked as placeholders, with no trained-model claim', async () => {
    const out = await run(join(dir, 'e'), recipe('ids'), createLocalProvider());
    for (const format of FORMATS) {
      const tags = exiftool(join(out, `hero.${format}`));
      expect(tags.DigitalSourceType).toBe(IPTC_SOURCE_TYPES.algorithmic);
      expect(tags.Placeholder).toBe(true);
    }
  });
});
