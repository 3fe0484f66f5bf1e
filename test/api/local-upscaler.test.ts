/**
 * The offline upscaler through the library and the CLI: `localUpscaler` (`--local-upscaler`) is part of
 * the upscale task's key, lanczos is sharp's own resize, and a run that used the ESRGAN workers ends its
 * process (the workers are closed with the provider, and an idle one never holds the process open).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunEvent, readManifest, runRecipes } from '../../src/index.js';
import { resolveLocalUpscaler } from '../../src/providers/local/upscaler-choice.js';

const PHOTO = fileURLToPath(new URL('../fixtures/photos/corgi-256.png', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = import.meta.resolve('tsx');
const installed = (await resolveLocalUpscaler('esrgan')).name === 'esrgan';

const RECIPE = `name: photos
output: photos
assets:
  - id: corgi
steps:
  - id: up
    model: nightmareai/real-esrgan
    input: { image: small.png, scale: 2 }
outputs:
  - path: "{{ id }}.png"
`;

/** The child's exit code; 'hung' when it is still running long after its work (it is then killed). */
function exited(child: ChildProcess): Promise<number | null | 'hung'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hung');
    }, 100_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('local upscaler option', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-upscaler-'));
    // An absolute path: the stand-in reads a relative one against the process's folder, not `cwd`.
    await writeFile(join(dir, 'photos.yaml'), RECIPE.replace('small.png', join(dir, 'small.png')));
    await sharp(PHOTO).resize(64, 64).png().toFile(join(dir, 'small.png'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const run = async (localUpscaler?: 'esrgan' | 'lanczos') => {
    const events: RunEvent[] = [];
    const report = await runRecipes(['photos.yaml'], {
      cwd: dir,
      provider: 'local',
      out: 'out',
      ...(localUpscaler === undefined ? {} : { localUpscaler }),
      onEvent: (event) => events.push(event),
    });
    expect(report.problems).toEqual([]);
    expect(report.status).toBe('ok');
    const manifest = await readManifest(join(dir, 'out'));
    const step = manifest.recipes.photos?.assets[0]?.steps.find((s) => s.id === 'up');
    return {
      report,
      events,
      cacheHit: step?.cache_hit,
      png: await readFile(join(dir, 'out/photos/corgi.png')),
    };
  };

  it('lanczos is sharp’s lanczos3 resize, and switching upscalers is a cache miss each way', async () => {
    const lanczos = await run('lanczos');
    expect(lanczos.cacheHit).toBe(false);
    const expected = await sharp(join(dir, 'small.png'))
      .resize(128, 128, { kernel: 'lanczos3' })
      .raw()
      .toBuffer();
    expect((await sharp(lanczos.png).removeAlpha().raw().toBuffer()).equals(expected)).toBe(true);
    expect((await run('lanczos')).cacheHit).toBe(true);

    const network = await run();
    expect(network.cacheHit).toBe(false);
    expect(network.png.equals(lanczos.png)).toBe(!installed);
    // Without the optional packages the run says so once, and still makes the file.
    const warnings = network.events.filter((e) => e.type === 'warning' && /ESRGAN/.test(e.message));
    expect(warnings).toHaveLength(installed ? 0 : 1);
    expect((await run('esrgan')).cacheHit).toBe(true);
  });

  it.skipIf(!installed)(
    'a CLI run with ESRGAN upscales ends its process by itself (workers closed)',
    async () => {
      const work = await mkdtemp(join(tmpdir(), 'assetgen-upscaler-cli-'));
      try {
        await writeFile(join(work, 'photos.yaml'), RECIPE);
        await cp(join(dir, 'small.png'), join(work, 'small.png'));
        const child = spawn(
          process.execPath,
          [
            '--import',
            TSX,
            '--input-type=module',
            '-e',
            `import { main } from ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))}; process.exitCode = await main(process.argv.slice(1));`,
            'run',
            'photos.yaml',
            '--provider',
            'local',
            '--json',
          ],
          { cwd: work, env: { ...process.env, CI: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
        });
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        const code = await exited(child);
        expect(stderr).not.toMatch(/error/i);
        expect(code).toBe(0);
        expect(stdout).toContain('"type":"summary"');
        const made = await sharp(join(work, 'output/photos/corgi.png')).metadata();
        expect([made.width, made.height]).toEqual([128, 128]);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },
    120_000,
  );

  it.skipIf(!installed)(
    'a library user who never closes the provider still exits',
    async () => {
      const script = `
      import { createLocalProvider, resolveLocalUpscaler } from ${JSON.stringify(join(ROOT, 'src/providers/local/index.ts'))};
      const upscaler = await resolveLocalUpscaler('esrgan');
      const provider = createLocalProvider({ upscaler, workers: 2, prewarm: true });
      const result = await provider.predict({
        model: 'nightmareai/real-esrgan',
        catalog: { kind: 'upscale', imageInput: 'image', inputSchema: {} },
        input: { image: ${JSON.stringify(join(dir, 'small.png'))}, scale: 2 },
        workDir: ${JSON.stringify(dir)},
        taskKey: 'k',
        label: { recipe: 'r', asset: 'a', step: 's' },
        signal: new AbortController().signal,
      });
      console.log('made', result.files.length);
    `;
      const child = spawn(process.execPath, ['--import', TSX, '--input-type=module', '-e', script], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      child.stderr.on('data', (chunk: Buffer) => {
        out += chunk.toString();
      });
      const code = await exited(child);
      expect(out).toContain('made 1');
      expect(code).toBe(0);
    },
    120_000,
  );
});
