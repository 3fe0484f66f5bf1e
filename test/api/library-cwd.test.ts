/**
 * `runRecipes({ cwd })` from a process in another folder does what the CLI does run in that folder: a
 * recipe's local image input and composite overlay are read from the project, the outputs land there and
 * show the project's pictures (decoded and checked), not whatever the process's folder holds. The offline
 * stand-ins resolve a relative image path in a request against the run's folder too, never the process's.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecipes } from '../../src/index.js';
import { createLocalProvider } from '../../src/providers/local/index.js';
import { request } from '../providers/local/helpers.js';

const RECIPE = `name: framed
assets:
  - id: photo
steps:
  - id: up
    model: nightmareai/real-esrgan
    input: { image: photo.png, scale: 2 }
  - id: marked
    image:
      - composite: { image: mark.png, gravity: northwest }
outputs:
  - path: "{{ id }}.png"
`;

const solid = (size: number, background: string) =>
  sharp({ create: { width: size, height: size, channels: 3, background } })
    .png()
    .toBuffer();

/** The RGB of one pixel of a PNG file. */
async function pixel(file: string, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return [...data.subarray(at, at + 3)];
}

const distance = (a: number[], b: number[]): number =>
  Math.max(...a.map((value, index) => Math.abs(value - (b[index] ?? 0))));

describe('the library with cwd set to another folder', () => {
  let root: string;
  let project: string;
  let elsewhere: string;
  let processCwd: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'assetgen-lib-cwd-'));
    project = join(root, 'project');
    elsewhere = join(root, 'elsewhere');
    await mkdir(project);
    await mkdir(elsewhere);
    await writeFile(join(project, 'framed.yaml'), RECIPE);
    await writeFile(join(project, 'photo.png'), await solid(16, '#0000ff'));
    await writeFile(join(project, 'mark.png'), await solid(4, '#ff0000'));
    // Decoys in the process's folder: same names, other colours and sizes.
    await writeFile(join(elsewhere, 'photo.png'), await solid(24, '#00ff00'));
    await writeFile(join(elsewhere, 'mark.png'), await solid(6, '#ffff00'));
    processCwd = process.cwd();
    process.chdir(elsewhere);
  });
  afterAll(async () => {
    process.chdir(processCwd);
    await rm(root, { recursive: true, force: true });
  });

  it('reads the image input and the overlay from cwd and writes the output there', async () => {
    const report = await runRecipes(['framed.yaml'], { cwd: project, out: 'out', provider: 'local' });
    expect(report.status, JSON.stringify(report.problems)).toBe('ok');
    const output = join(project, 'out', 'framed', 'photo.png');
    const meta = await sharp(output).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]); // the project's 16 px photo, upscaled ×2
    expect(distance(await pixel(output, 1, 1), [255, 0, 0])).toBeLessThan(8); // the project's overlay
    expect(distance(await pixel(output, 5, 5), [0, 0, 255])).toBeLessThan(8); // outside it: its photo
    expect(distance(await pixel(output, 20, 20), [0, 0, 255])).toBeLessThan(8);
  }, 60_000);

  it('the offline upscaler reads a relative image path from its cwd, not from the process folder', async () => {
    const work = join(root, 'work');
    await mkdir(work, { recursive: true });
    const provider = createLocalProvider({ cwd: project });
    const result = await provider.predict(
      request('nightmareai/real-esrgan', { image: 'photo.png', scale: 2 }, work),
    );
    const made = result.files?.[0]?.path ?? '';
    const meta = await sharp(made).metadata();
    expect([meta.width, meta.height]).toEqual([32, 32]); // the project's photo (the decoy would be 48)
    expect(distance(await pixel(made, 8, 8), [0, 0, 255])).toBeLessThan(8);
  });
});
