/**
 * Runners on several machines sharing one cache on S3: each with its own local folder, all against the
 * in-repo S3 fake and the fake Replicate. Two runs at once create each distinct prediction once and compute
 * each output once between them; a runner killed mid-run (SIGKILL, its own folder gone with it) leaves
 * claims carrying its prediction ids, and the runner that takes them over re-attaches instead of creating
 * (0 extra creates); a warm local folder reads no object from S3; a cold one downloads them and creates none.
 */
// assetgen pins the SDK release: its notice about later releases needing Node 22 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunEvent, type RunReport, runRecipes } from '../../src/index.js';
import type { ClaimHolder } from '../../src/store/claim-record.js';
import { type FakeReplicate, startFakeReplicate } from '../fake-replicate/index.js';
import { type FakeS3, startFakeS3 } from '../fake-s3/server.js';
import { distinctMaker } from '../helpers/marked-png.js';
import { fakeS3Connection, fakeS3Env } from '../helpers/s3-cache.js';

const TOKEN = 'test-token-s3-runners';
const ASSETS = 12;
const BUCKET = 'assetgen-test';
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
  - path: "{{ id }}.webp"
    format: webp
`;

describe('runners sharing an S3 cache', () => {
  let s3: FakeS3;
  let fake: FakeReplicate;
  let dir: string;
  let prefix = 0;
  let url = '';

  beforeAll(async () => {
    s3 = await startFakeS3({ buckets: [BUCKET] });
    fake = await startFakeReplicate({
      token: TOKEN,
      makeOutputs: distinctMaker,
      behaviour: { runMs: 300, jitterMs: 150, coldStart: 'never' },
    });
    dir = await mkdtemp(join(tmpdir(), 'assetgen-s3-runners-'));
  });
  afterAll(async () => {
    await fake.close();
    await s3.close();
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    fake.resetCounts();
    url = `s3://${BUCKET}/cache-${++prefix}`;
  });

  /** One runner "machine": its own folder (recipe, local cache, outputs). */
  const machine = async (name: string, word: string): Promise<string> => {
    const cwd = join(dir, `${prefix}-${name}`);
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'batch.yaml'), recipe(word));
    return cwd;
  };
  const run = (cwd: string, events: RunEvent[] = []): Promise<RunReport> =>
    runRecipes(['batch.yaml'], {
      cwd,
      out: 'out',
      cache: url,
      s3: fakeS3Connection(s3),
      concurrency: 4,
      replicate: { token: TOKEN, baseUrl: fake.baseUrl },
      onEvent: (event) => events.push(event),
    });
  const outputHashes = (report: RunReport) =>
    (report.manifest?.recipes.batch?.assets ?? []).map((asset) => asset.outputs[0]?.sha256);
  const objectGets = (from: number) =>
    s3.requests.slice(from).filter((r) => r.method === 'GET' && r.key.includes('/objects/')).length;
  const claimsIn = (cache: string) =>
    [...(s3.buckets.get(BUCKET)?.entries() ?? [])].filter(([key]) => key.startsWith(`${cache}/claims/`));

  it('two runners at once create each distinct prediction once and encode each output once', async () => {
    const [a, b] = [await machine('a', 'lamp'), await machine('b', 'lamp')];
    const eventsA: RunEvent[] = [];
    const eventsB: RunEvent[] = [];
    const [ra, rb] = await Promise.all([run(a, eventsA), run(b, eventsB)]);
    expect(ra.status, JSON.stringify(ra.problems)).toBe('ok');
    expect(rb.status, JSON.stringify(rb.problems)).toBe('ok');
    await fake.idle();
    const predictions = fake.predictions.list();
    expect(new Set(predictions.map((p) => `${p.model}:${JSON.stringify(p.input)}`)).size).toBe(
      predictions.length,
    );
    expect(fake.counts.create).toBe(ASSETS * 2);
    expect(ra.spend.created.count + rb.spend.created.count).toBe(ASSETS * 2);
    expect(outputHashes(rb)).toEqual(outputHashes(ra));
    // Local work is claimed too: each output encoded by one runner only.
    const encodes = [...eventsA, ...eventsB].filter(
      (e) => e.type === 'task-started' && e.task.model === 'output',
    );
    expect(encodes).toHaveLength(ASSETS);
    expect(claimsIn(url.slice(`s3://${BUCKET}/`.length))).toEqual([]);

    // A warm local folder: everything cached, not one object read from S3.
    const before = s3.requests.length;
    const warm = await run(a);
    expect(warm.status).toBe('ok');
    expect(warm.cached).toBe(ASSETS);
    expect(objectGets(before)).toBe(0);

    // A cold one (a new machine): the objects come from S3 once each, nothing is created.
    const cold = await run(await machine('c', 'lamp'));
    expect(cold.status).toBe('ok');
    expect(outputHashes(cold)).toEqual(outputHashes(ra));
    expect(objectGets(before)).toBeGreaterThan(0);
    expect(fake.counts.create).toBe(ASSETS * 2);
  }, 180_000);

  it("a killed runner's claims are taken over and its predictions re-attached: no extra create", async () => {
    const killedDir = await machine('killed', 'mug');
    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 3_000 });
    const cache = url.slice(`s3://${BUCKET}/`.length);
    const child: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        tsx,
        '--input-type=module',
        '-e',
        `import { main } from ${JSON.stringify(cliEntry)}; process.exitCode = await main(process.argv.slice(1));`,
        'run',
        'batch.yaml',
        '--cache',
        url,
        '--out',
        'out',
        '--concurrency',
        '4',
        // Creates answer after 1 s, the predictions still running: their ids are known (and noted in the
        // claims) well before they finish.
        '--wait',
        '1',
      ],
      {
        cwd: killedDir,
        env: {
          ...process.env,
          REPLICATE_API_TOKEN: TOKEN,
          REPLICATE_API_BASE_URL: fake.baseUrl,
          ...fakeS3Env(s3),
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise((done) => child.on('exit', done));
    // Until four claims carry their prediction ids (the runner noted them after each create).
    const withPrediction = () =>
      claimsIn(cache).filter(([, object]) => {
        const holder = JSON.parse(object.body.toString()) as ClaimHolder;
        return holder.journal?.predictionId !== undefined;
      });
    const deadline = Date.now() + 60_000;
    while (withPrediction().length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGKILL');
    await exited;
    expect(withPrediction().length, stderr).toBeGreaterThanOrEqual(4);
    const createdBeforeKill = fake.counts.create;
    // Its machine is gone with its folder and journal. Its leases would run out in 30 s: let them have.
    await rm(killedDir, { recursive: true, force: true });
    for (const [key, object] of claimsIn(cache)) {
      const holder = JSON.parse(object.body.toString()) as ClaimHolder;
      const expired = {
        ...holder,
        host: 'gone-runner',
        expiresAt: new Date(Date.now() - 1_000).toISOString(),
      };
      s3.putObject(BUCKET, key, JSON.stringify(expired));
    }

    fake.setModelBehaviour('black-forest-labs/flux-schnell', { runMs: 300 });
    const [b, c] = [await machine('b', 'mug'), await machine('c', 'mug')];
    const [rb, rc] = await Promise.all([run(b), run(c)]);
    expect(rb.status, JSON.stringify(rb.problems)).toBe('ok');
    expect(rc.status, JSON.stringify(rc.problems)).toBe('ok');
    await fake.idle();
    expect(createdBeforeKill).toBeGreaterThanOrEqual(4);
    expect(fake.counts.create).toBe(ASSETS * 2);
    expect(rb.spend.resumed.count + rc.spend.resumed.count).toBeGreaterThanOrEqual(4);
    expect(outputHashes(rc)).toEqual(outputHashes(rb));
    expect(claimsIn(cache)).toEqual([]);
    const manifest = JSON.parse(await readFile(join(b, 'out', 'manifest.json'), 'utf8'));
    expect(manifest.recipes.batch.assets).toHaveLength(ASSETS);
  }, 180_000);
});
