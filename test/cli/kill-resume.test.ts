/**
 * Crash safety: a run of 50 assets × 3 paid steps is killed with SIGKILL at 10 seeded-random moments and
 * restarted each time. At the end every output exists and verifies, and the fake Replicate server saw
 * exactly one create per distinct task — nothing was paid twice.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { distinctMaker } from '../helpers/marked-png.js';

const TOKEN = 'r8_kill-test-token-0000000000';
const ASSETS = 50;
const KILLS = 10;
const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('kill -9 at random points, then resume', () => {
  let fake: FakeReplicate;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: distinctMaker,
      behaviour: { runMs: 600, jitterMs: 300, coldStart: 'never' },
    });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-kill-'));
    const assets = Array.from(
      { length: ASSETS },
      (_, i) => `  - id: item${i}\n    thing: object number ${i}`,
    ).join('\n');
    await writeFile(
      join(dir, 'batch.yaml'),
      `name: batch
assets:
${assets}
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ thing }}", megapixels: "0.25" }
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 2 }
  - id: cut
    model: 851-labs/background-remover
outputs:
  - path: "{{ id }}.png"
`,
    );
  });
  afterAll(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  const start = (): ChildProcess =>
    spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'run',
        'batch.yaml',
        '--concurrency',
        '4',
        '--quiet',
      ],
      {
        cwd: dir,
        env: { ...process.env, REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );

  const exited = (child: ChildProcess) =>
    new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

  it('pays once per distinct task and ends with every output verified', async () => {
    const random = mulberry32(20261124);
    let kills = 0;
    for (let attempt = 0; kills < KILLS && attempt < 2 * KILLS; attempt++) {
      const child = start();
      const ended = exited(child);
      // Start-up (tsx) takes ~1 s; kill somewhere between just after start and mid-batch.
      const delay = 600 + Math.floor(random() * 1000);
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const code = await ended;
      clearTimeout(timer);
      if (code === null) kills++;
    }
    expect(kills).toBe(KILLS);

    const last = start();
    let stderr = '';
    last.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await exited(last), stderr).toBe(0);
    await fake.idle();

    const manifest = JSON.parse(await readFile(join(dir, 'output', 'manifest.json'), 'utf8')) as Manifest;
    const assets = manifest.recipes.batch?.assets ?? [];
    expect(assets).toHaveLength(ASSETS);
    for (const asset of assets) {
      expect(asset.status).toBe('ok');
      const output = asset.outputs[0];
      const bytes = await readFile(join(dir, 'output', output?.path ?? ''));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output?.sha256);
      expect((await sharp(bytes).metadata()).width).toBe(output?.width);
    }
    expect(fake.counts.create).toBe(ASSETS * 3);
    const predictions = fake.predictions.list();
    const byInput = new Set(predictions.map((p) => `${p.model}:${JSON.stringify(p.input)}`));
    expect(byInput.size).toBe(predictions.length);
  }, 180_000);

  it('Ctrl-C cancels every in-flight prediction on the server and exits 130', async () => {
    await rm(join(dir, '.assetgen'), { recursive: true, force: true });
    await rm(join(dir, 'output'), { recursive: true, force: true });
    await writeFile(
      join(dir, 'batch.yaml'),
      (await readFile(join(dir, 'batch.yaml'), 'utf8')).replaceAll('object number', 'item'),
    );
    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 5_000 });
    fake.resetCounts();
    const child = start();
    const ended = exited(child);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const deadline = Date.now() + 20_000;
    while (fake.counts.create < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    expect(await ended, stderr).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(fake.counts.cancel).toBeGreaterThanOrEqual(4);
    const running = fake.predictions
      .list()
      .filter((p) => p.status === 'starting' || p.status === 'processing');
    expect(running).toEqual([]);
  }, 60_000);
});
