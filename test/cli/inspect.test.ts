/** `assetgen inspect <file>`: prints the provenance a file embeds, as text or JSON; a bad file exits 1. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRaw } from '../../src/image/index.js';
import { IPTC_SOURCE_TYPES, provenanceXmp } from '../../src/provenance/xmp.js';
import { runCli } from '../helpers/cli.js';

describe('assetgen inspect', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-inspect-'));
    const xmp = provenanceXmp(
      {
        digitalSourceType: IPTC_SOURCE_TYPES.trained,
        recipe: 'heroes',
        asset: 'a<b>&"c"',
        generator: 'assetgen 9.9.9',
        steps: [
          { id: 'art', model: 'o/m', predictionId: 'p1', seed: 7, taskKey: 'k'.repeat(64), prompt: 'x & y' },
        ],
      },
      'full',
    );
    const pixels = { data: Buffer.alloc(4 * 4 * 3, 90), width: 4, height: 4, channels: 3 as const };
    await writeFile(join(dir, 'a.webp'), (await encodeRaw(pixels, 'webp', { ...(xmp ? { xmp } : {}) })).data);
    await writeFile(join(dir, 'bare.png'), (await encodeRaw(pixels, 'png')).data);
    await writeFile(join(dir, 'not-an-image.png'), 'hello');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints the label and the record; --json gives the same as data', async () => {
    const text = await runCli(['inspect', 'a.webp'], { cwd: dir });
    expect(text.code).toBe(0);
    expect(text.out).toContain(IPTC_SOURCE_TYPES.trained);
    expect(text.out).toContain('a<b>&"c"');
    expect(text.out).toContain('step art: o/m, prediction p1, seed 7');
    const json = await runCli(['inspect', 'a.webp', '--json'], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      format: 'webp',
      width: 4,
      provenance: { asset: 'a<b>&"c"', steps: [{ id: 'art', seed: 7, prompt: 'x & y' }] },
    });
  });

  it('says when a file has no provenance; a file that is no image exits 2 with the reason', async () => {
    const bare = await runCli(['inspect', 'bare.png'], { cwd: dir });
    expect(bare.code).toBe(0);
    expect(bare.out).toContain('no XMP');
    const bad = await runCli(['inspect', 'not-an-image.png'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('not-an-image.png');
    const missing = await runCli(['inspect', 'gone.png'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('ENOENT');
  });
});
