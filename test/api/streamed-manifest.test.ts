/**
 * The manifest streams to disk while a run works, yet is only ever whole: an aborted run writes a
 * complete manifest (every asset, the unfinished ones `cancelled`) and leaves no spool; a run killed
 * with SIGKILL midway leaves the manifest that was there before, byte for byte (and only a hidden spool,
 * which the next run in that folder removes).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest, runRecipes } from '../../src/index.js';

const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

const recipe = (name: string, count: number) => `name: ${name}
assets:
${Array.from({ length: count }, (_, i) => `  - id: a${i}`).join('\n')}
steps:
  - id: art
    model: black-forest-labs/flux-schnell
    input: { prompt: "thing {{ id }}", megapixels: "0.25", aspect_ratio: "1:1" }
outputs:
  - path: "{{ id }}-{{ width }}.png"
    widths: [16, 48, 96]
`;

const hidden = async (dir: string) => (await readdir(dir)).filter((name) => name.startsWith('.'));

describe('streamed manifest', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-streamed-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('an aborted run writes a whole manifest and leaves no spool', async () => {
    await writeFile(join(dir, 'many.yaml'), recipe('many', 80));
    const controller = new AbortController();
    let written = 0;
    const report = await runRecipes(['many.yaml'], {
      cwd: dir,
      provider: 'local',
      localConcurrency: 1,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'file-written' && ++written === 6) controller.abort();
      },
    });
    expect(report.status).toBe('cancelled');
    const manifest = await readManifest(join(dir, 'output'));
    const assets = manifest.recipes.many?.assets ?? [];
    expect(assets.map((asset) => asset.id)).toEqual(Array.from({ length: 80 }, (_, i) => `a${i}`));
    expect(assets.some((asset) => asset.status === 'ok')).toBe(true);
    expect(assets.some((asset) => asset.status === 'cancelled')).toBe(true);
    expect(report.manifest).toEqual(manifest);
    expect(await hidden(join(dir, 'output'))).toEqual([]);
  });

  it('a run killed midway leaves the manifest as it was', async () => {
    await writeFile(join(dir, 'small.yaml'), recipe('small', 2));
    await writeFile(join(dir, 'big.yaml'), recipe('big', 2000));
    await runRecipes(['small.yaml'], { cwd: dir, provider: 'local', out: 'kept' });
    const before = await readFile(join(dir, 'kept', 'manifest.json'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'run',
        'big.yaml',
        '--provider',
        'local',
        '--out',
        'kept',
        '--quiet',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    // Kill it once it has written some outputs (the manifest streams meanwhile).
    const started = Date.now();
    let killed = false;
    while (!killed && Date.now() - started < 60_000) {
      const files = await readdir(join(dir, 'kept', 'big')).catch(() => []);
      if (files.length >= 30) {
        child.kill('SIGKILL');
        killed = true;
      } else await new Promise((wait) => setTimeout(wait, 20));
    }
    expect(await exited).toBeNull(); // killed, not finished
    expect(await readFile(join(dir, 'kept', 'manifest.json'))).toEqual(before);
    // What it left is a hidden spool, never a manifest: the next run replaces it.
    const left = await hidden(join(dir, 'kept'));
    for (const name of left) expect(name).toMatch(/^\.manifest\.\d+\.[0-9a-f]+\.spool$/);
    await runRecipes(['small.yaml'], { cwd: dir, provider: 'local', out: 'kept' });
    expect(await hidden(join(dir, 'kept'))).toEqual([]);
  }, 120_000);
});
