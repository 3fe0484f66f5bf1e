/**
 * Provenance of a real paid run (the fake Replicate server on loopback, through the library): the file
 * names the prediction the manifest names, a watermark overlay makes it a composite, and the token
 * never reaches the files.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecipes } from '../../src/api/run.js';
import { encodeRaw } from '../../src/image/index.js';
import { IPTC_SOURCE_TYPES } from '../../src/provenance/xmp.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';

const CANARY = 'r8_CANARY-provenance-CANARY-0123456789';

const RECIPE = `name: paid
assets:
  - id: hero
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "a lighthouse at dusk", megapixels: "0.25" }
outputs:
  - { path: "{{ id }}.png", format: png, widths: [64] }
  - path: "{{ id }}-marked.jpg"
    format: jpeg
    widths: [64]
    image:
      - composite: { image: mark.png, gravity: southeast }
`;

function exiftool(path: string): Record<string, unknown> {
  const out = execFileSync('exiftool', ['-j', '-struct', '-XMP:all', path], { encoding: 'utf8' });
  return (JSON.parse(out) as Record<string, unknown>[])[0] ?? {};
}

describe('provenance of a paid run', () => {
  let fake: FakeReplicate;
  let dir: string;
  beforeAll(async () => {
    fake = await startFakeReplicate({ token: CANARY, behaviour: { runMs: 10 } });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-xmp-paid-'));
    await writeFile(join(dir, 'paid.yaml'), RECIPE);
    const mark = Buffer.alloc(8 * 8 * 4, 200);
    await writeFile(
      join(dir, 'mark.png'),
      (await encodeRaw({ data: mark, width: 8, height: 8, channels: 4 }, 'png')).data,
    );
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('names the prediction, marks the overlay as composite, never holds the token', async () => {
    const report = await runRecipes([join(dir, 'paid.yaml')], {
      cwd: dir,
      out: 'out',
      provider: 'replicate',
      replicate: { token: CANARY, baseUrl: fake.baseUrl },
    });
    expect(report.status).toBe('ok');
    const found = report.manifest?.recipes.paid?.assets[0]?.steps.find((s) => s.id === 'art');
    const step = found?.kind === 'model' ? found : undefined;
    expect(step?.prediction_id).toMatch(/^[a-z0-9]{26}$/);
    const plain = exiftool(join(dir, 'out', 'paid', 'hero.png'));
    expect(plain.DigitalSourceType).toBe(IPTC_SOURCE_TYPES.trained);
    expect(plain.Placeholder).toBeUndefined();
    const steps = plain.Steps as Record<string, unknown>[];
    expect(steps[0]).toMatchObject({ Id: 'art', Provider: 'replicate', PredictionId: step?.prediction_id });
    const marked = exiftool(join(dir, 'out', 'paid', 'hero-marked.jpg'));
    expect(marked.DigitalSourceType).toBe(IPTC_SOURCE_TYPES.composite);
    for (const file of ['hero.png', 'hero-marked.jpg']) {
      const bytes = await readFile(join(dir, 'out', 'paid', file));
      expect(bytes.includes(CANARY)).toBe(false);
      expect(bytes.includes(CANARY.slice(3, 20))).toBe(false);
    }
  });
});
