/**
 * Two runs on one cache folder never pay twice: real CLI processes started at once against one fake
 * Replicate server with slow predictions create exactly one prediction per distinct task between them, and
 * both finish with every output. Claims left by a SIGKILLed run (a dead pid), rewritten as another host's
 * with an expired or a running lease, are taken over — the killed run's predictions re-attached from the
 * journal, not created again.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Manifest } from '../../src/manifest/types.js';
import type { ClaimHolder } from '../../src/store/claim-record.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { distinctMaker } from '../helpers/marked-png.js';

const TOKEN = 'r8_shared-cache-token-000000000';
const ASSETS = 40;
const cliEntry = resolve(import.meta.dirname, '../../src/cli/main.ts');
const tsx = import.meta.resolve('tsx');

const recipe = (word: string) => `name: batch
assets:
${Array.from({ length: ASSETS }, (_, i) => `  - id: item${i}\n    thing: ${word} number ${i}`).join('\n')}
steps:
  - id: gen
    model: black-forest-labs/flux-schnell
    input: { prompt: "{{ thing }}", megapixels: "0.25" }
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 2 }
outputs:
  - path: "{{ id }}.png"
`;

describe('two runs on one cache', () => {
  let fake: FakeReplicate;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: distinctMaker,
      behaviour: { runMs: 400, jitterMs: 200, coldStart: 'never' },
    });
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'assetgen-shared-cache-'));
    fake.resetCounts();
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const start = (out: string): ChildProcess & { stderr: NonNullable<ChildProcess['stderr']> } => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'run',
        'batch.yaml',
        '--cache-dir',
        'cache',
        '--out',
        out,
        '--concurrency',
        '4',
      ],
      {
        cwd: dir,
        env: { ...process.env, REPLICATE_API_TOKEN: TOKEN, REPLICATE_API_BASE_URL: fake.baseUrl },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    return child as ChildProcess & { stderr: NonNullable<ChildProcess['stderr']> };
  };
  const finished = (child: ReturnType<typeof start>) =>
    new Promise<{ code: number | null; stderr: string }>((done) => {
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on('exit', (code) => done({ code, stderr }));
    });

  /** Every prediction the fake saw was for a different task, and there were `tasks` of them. */
  const expectOneCreatePerTask = (tasks: number) => {
    const predictions = fake.predictions.list();
    const distinct = new Set(predictions.map((p) => `${p.model}:${JSON.stringify(p.input)}`));
    expect(distinct.size).toBe(predictions.length);
    expect(fake.counts.create).toBe(tasks);
  };

  const expectAllOutputs = async (out: string): Promise<string[]> => {
    const manifest = JSON.parse(await readFile(join(dir, out, 'manifest.json'), 'utf8')) as Manifest;
    const assets = manifest.recipes.batch?.assets ?? [];
    expect(assets).toHaveLength(ASSETS);
    const hashes: string[] = [];
    for (const asset of assets) {
      expect(asset.status).toBe('ok');
      const output = asset.outputs[0];
      const bytes = await readFile(join(dir, out, output?.path ?? ''));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(output?.sha256);
      hashes.push(output?.sha256 ?? '');
    }
    return hashes;
  };

  const claimsLeft = async () => {
    try {
      return (await readdir(join(dir, 'cache', 'claims'))).filter((name) => name.endsWith('.json'));
    } catch {
      return [];
    }
  };

  it('started at once, they create each distinct task once between them and both finish', async () => {
    await writeFile(join(dir, 'batch.yaml'), recipe('lamp'));
    const [a, b] = [start('out-a'), start('out-b')];
    const [ra, rb] = await Promise.all([finished(a), finished(b)]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    await fake.idle();
    expectOneCreatePerTask(ASSETS * 2);
    expect(await expectAllOutputs('out-b')).toEqual(await expectAllOutputs('out-a'));
    // They did share the work: each waited for tasks the other had in flight.
    expect(`${ra.stderr}\n${rb.stderr}`).toMatch(/waiting .* \(held by another run \(pid \d+/);
    expect(await claimsLeft()).toEqual([]);
  }, 120_000);

  it('claims of a killed run (dead pid, expired or live lease of another host) are taken over', async () => {
    await writeFile(join(dir, 'batch.yaml'), recipe('mug'));
    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 2_500 });
    const killed = start('out-a');
    const killedExit = finished(killed);
    const deadline = Date.now() + 30_000;
    while (fake.counts.create < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    killed.kill('SIGKILL');
    await killedExit;
    const left = await claimsLeft();
    expect(left.length).toBeGreaterThanOrEqual(4);
    const createdBeforeKill = fake.counts.create;

    // Rewrite two of them as another host's: one whose lease ran out, one still running for 2 s.
    const rewrite = async (name: string, fields: Partial<ClaimHolder>) => {
      const path = join(dir, 'cache', 'claims', name);
      const holder = JSON.parse(await readFile(path, 'utf8')) as ClaimHolder;
      await writeFile(path, JSON.stringify({ ...holder, host: 'elsewhere', pid: 1, ...fields }));
    };
    await rewrite(left[0] ?? '', { expiresAt: new Date(Date.now() - 1_000).toISOString() });
    await rewrite(left[1] ?? '', { expiresAt: new Date(Date.now() + 2_000).toISOString() });

    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 400 });
    // Two runs at once contend for the same stale claims.
    const [b, c] = [start('out-b'), start('out-c')];
    const [rb, rc] = await Promise.all([finished(b), finished(c)]);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rc.code, rc.stderr).toBe(0);
    await fake.idle();
    expect(createdBeforeKill).toBeGreaterThanOrEqual(4);
    expectOneCreatePerTask(ASSETS * 2);
    expect(await expectAllOutputs('out-c')).toEqual(await expectAllOutputs('out-b'));
    expect(await claimsLeft()).toEqual([]);
  }, 120_000);
});
