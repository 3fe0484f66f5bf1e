/**
 * Official models as the real service answers for them (the fake in its `recorded` profile): another
 * model name and a `dp-…` deployment version that changes on every redeploy. Resume and adoption never
 * pay twice over it, and it never becomes a version pin, a key or a `--frozen` verdict.
 */
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { probeImage } from '../../../src/image/index.js';
import { createCatalog } from '../../../src/models/catalog.js';
import { createPlan, type Plan } from '../../../src/plan/plan.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import type { PredictionRequest } from '../../../src/providers/types.js';
import { parseRecipeText } from '../../../src/recipe/index.js';
import { runPlan } from '../../../src/run/runner.js';
import { createCache } from '../../../src/store/cache.js';
import { emptyLock, type LockFileContent, readLock, writeLock } from '../../../src/store/lock.js';
import { lockView } from '../../../src/store/lock-tasks.js';
import {
  createWallClock,
  type FakeReplicate,
  type FakeReplicateOptions,
  startFakeReplicate,
} from '../../fake-replicate/index.js';
import {
  CANARY,
  chainImageMaker,
  createScaledTime,
  type FakeTime,
  smallImageMaker,
  tempDir,
} from './helpers.js';

const SCHNELL = 'black-forest-labs/flux-schnell';
const LLAMA = 'meta/meta-llama-3-70b-instruct';
const INTERNAL = 'replicate-internal/flux-schnell-trt';
const DEPLOYMENT = /^dp-[0-9a-f]{32}$/;
const catalog = createCatalog();

let fake: FakeReplicate;
let dir: { path: string; remove: () => Promise<void> };
let warnings: string[];
let time: FakeTime;

async function start(options: FakeReplicateOptions = {}) {
  fake = await startFakeReplicate({
    token: CANARY,
    profile: 'recorded',
    servedAs: { [SCHNELL]: INTERNAL },
    makeOutputs: smallImageMaker,
    behaviour: { runMs: 30 },
    ...options,
  });
}
beforeEach(async () => {
  dir = await tempDir();
  warnings = [];
  time = createScaledTime(0.05);
});
afterEach(async () => {
  await fake?.close();
  await dir.remove();
});

function provider() {
  return createReplicateProvider({
    token: CANARY,
    baseUrl: fake.baseUrl,
    clock: time.clock,
    sleep: time.sleep,
    random: time.random,
    onWarning: (m) => warnings.push(m),
  });
}

let tasks = 0;
function request(model: string, input: Record<string, unknown>, resume?: PredictionRequest['resume']) {
  const workDir = join(dir.path, `task-${++tasks}`);
  mkdirSync(workDir);
  const entry = catalog.get(model);
  const task: PredictionRequest = {
    model,
    ...(entry ? { catalog: entry } : {}),
    input,
    workDir,
    taskKey: `k${tasks}`,
    label: { recipe: 'r', asset: 'a', step: 's' },
    signal: new AbortController().signal,
  };
  if (resume) task.resume = resume;
  return task;
}

/** What a crashed run sent; `lost`: created on the server, then the socket died before any answer. */
async function crashedCreate(model: string, input: Record<string, unknown>, lost: boolean): Promise<string> {
  if (lost) fake.faults.add({ on: 'create', fault: { type: 'reset-after' } });
  const sent = fetch(`${fake.baseUrl}/models/${model}/predictions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CANARY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input }),
  });
  if (!lost) return String(((await (await sent).json()) as { id: string }).id);
  await expect(sent).rejects.toThrow();
  return String(fake.predictions.list()[0]?.id);
}

describe('official models answering under another name (recorded replies)', () => {
  it('resumes a journalled prediction of a renamed official image model: no create, no version pin', async () => {
    await start({ behaviour: { runMs: 300 } });
    const id = await crashedCreate(SCHNELL, { prompt: 'a mug', num_outputs: 2 }, false);
    expect(fake.predictions.get(id)).toMatchObject({
      model: INTERNAL,
      version: expect.stringMatching(DEPLOYMENT),
    });
    fake.resetCounts();
    const result = await provider().predict(
      request(SCHNELL, { prompt: 'a mug', num_outputs: 2 }, { predictionId: id }),
    );
    expect(fake.counts.create).toBe(0);
    expect(result.predictionId).toBe(id);
    expect(result.version).toBeUndefined();
    expect(result.files).toHaveLength(2);
    for (const file of result.files)
      expect(await probeImage(file.path)).toMatchObject({ width: 24, height: 16 });
    expect(result.actualUsd).toBeCloseTo(2 * 0.003, 9);
  });

  it('resumes a journalled language-model prediction served as replicate-internal/…: its text, no create', async () => {
    await start({ behaviour: { runMs: 200 } });
    const id = await crashedCreate(LLAMA, { prompt: 'describe a mug' }, false);
    expect(fake.predictions.get(id)?.model).toBe('replicate-internal/llama3-70b-chat-vllm-unquantized');
    fake.resetCounts();
    const result = await provider().predict(
      request(LLAMA, { prompt: 'describe a mug' }, { predictionId: id }),
    );
    expect(fake.counts.create).toBe(0);
    expect(result.text).toBe('A glazed mug, photographed on seamless white.');
    expect(result.version).toBeUndefined();
  });

  it('a create whose answer was lost is adopted by input and time, not model: exactly one create', async () => {
    await start();
    fake.faults.add({ on: 'create', fault: { type: 'reset-after' } });
    const result = await provider().predict(request(SCHNELL, { prompt: 'once only', seed: 7 }));
    expect(fake.counts.create).toBe(1);
    expect(fake.predictions.size).toBe(1);
    expect(result.predictionId).toBe(fake.predictions.list()[0]?.id);
    expect(fake.predictions.list()[0]?.model).toBe(INTERNAL);
    expect(warnings.join('\n')).toContain('adopted prediction');
    expect(result.files).toHaveLength(1);
  });

  it('after a crash with the create unanswered, the next run adopts it across a redeploy: no create', async () => {
    await start();
    const since = new Date(Date.now() - 5).toISOString();
    const lost = await crashedCreate(SCHNELL, { prompt: 'a lamp', seed: 3 }, true);
    fake.models.redeploy(SCHNELL);
    fake.resetCounts();
    const result = await provider().predict(
      request(SCHNELL, { prompt: 'a lamp', seed: 3 }, { createdAfter: since }),
    );
    expect(fake.counts.create).toBe(0);
    expect(result.predictionId).toBe(lost);
    expect(result.version).toBeUndefined();
  });

  it('an identical official prediction made a minute before the intent is not adopted: one new create', async () => {
    // The server's clock moves a minute on between the earlier prediction and the crashed run's intent.
    const wall = createWallClock();
    let shift = 0;
    await start({ clock: { now: () => Date.now() + shift, sleep: wall.sleep } });
    const earlier = await crashedCreate(SCHNELL, { prompt: 'a lamp', seed: 3 }, false);
    await fake.predictions.settled(earlier);
    shift = 60_000;
    const since = new Date().toISOString();
    fake.resetCounts();
    const result = await provider().predict(
      request(SCHNELL, { prompt: 'a lamp', seed: 3 }, { createdAfter: since }),
    );
    expect(result.predictionId).not.toBe(earlier);
    expect(fake.counts.create).toBe(1);
    expect(fake.counts.list).toBe(1);
  });
});

describe('a deployment id is no version pin', () => {
  const recipe = `name: shots
assets:
  - id: mug
  - id: lamp
steps:
  - id: gen
    model: ${SCHNELL}
    input: { prompt: "a {{ id }}" }
  - id: up
    model: nightmareai/real-esrgan
    input: { scale: 2 }
outputs:
  - path: "{{ id }}.png"
`;
  const plan = (): Plan => createPlan([parseRecipeText(recipe, 'shots.yaml', { catalog })], catalog);
  const run = (options: { cache: string; lock?: LockFileContent; frozen?: boolean; force?: boolean }) =>
    runPlan(plan(), {
      provider: createReplicateProvider({ token: CANARY, baseUrl: fake.baseUrl, poll: { firstDelayMs: 10 } }),
      cache: createCache(join(dir.path, options.cache)),
      outDir: join(dir.path, 'out'),
      lock: lockView(options.lock ?? emptyLock()),
      ...(options.frozen ? { frozen: true } : {}),
      ...(options.force ? { force: true } : {}),
    });
  const errors = (result: Awaited<ReturnType<typeof run>>) =>
    result.recipes.flatMap((r) => r.assets.map((a) => a.error ?? ''));

  it('keeps official models unversioned in the lock, and --frozen answers the same after a redeploy', async () => {
    await start({ behaviour: { runMs: 10 }, makeOutputs: chainImageMaker });
    const first = await run({ cache: 'cache' });
    expect(first.failed).toBe(0);
    const lockFile = join(dir.path, 'assetgen.lock');
    await writeLock(lockFile, first.lock);
    const lock = await readLock(lockFile);
    expect(lock.models[SCHNELL]).toEqual({ version: null, official: true });
    expect(lock.tasks['shots/mug#gen']?.version).toBeNull();
    expect(lock.tasks['shots/mug#up']?.version).toMatch(/^[0-9a-f]{64}$/);
    expect(first.recipes[0]?.assets[0]?.steps[0]).toMatchObject({ model: SCHNELL, version: null });
    const deployed = new Set(
      fake.predictions
        .list()
        .filter((p) => p.model === INTERNAL)
        .map((p) => p.version),
    );
    expect([...deployed]).toEqual([expect.stringMatching(DEPLOYMENT)]);

    fake.models.redeploy(SCHNELL);
    const creates = fake.counts.create;
    expect(creates).toBe(3);
    const frozen = await run({ cache: 'cache', lock, frozen: true });
    expect(frozen.failed).toBe(0);
    expect(frozen.cached).toBe(2);
    expect(fake.counts.create).toBe(creates);

    // Without the cache, the verdict names the missing result, not a "moved version".
    const bare = await run({ cache: 'empty-cache', lock, frozen: true });
    expect(bare.failed).toBe(2);
    for (const error of errors(bare)) {
      expect(error).toContain('step gen would start a paid task: its result is not in the cache');
      expect(error).not.toContain('version moved');
    }

    // A lock an older assetgen wrote, with the deployment as the task's version, reads the same.
    const old = JSON.parse(await readFile(lockFile, 'utf8')) as LockFileContent;
    for (const id of ['shots/mug#gen', 'shots/lamp#gen'])
      (old.tasks[id] as { version: string }).version = String([...deployed][0]);
    await writeFile(lockFile, JSON.stringify(old));
    const oldLock = await readLock(lockFile);
    expect(oldLock.tasks['shots/mug#gen']?.version).toBeNull();
    expect(errors(await run({ cache: 'empty-cache', lock: oldLock, frozen: true }))).toEqual(errors(bare));

    // Re-made on the new deployment: the same task keys, still no version.
    const again = await run({ cache: 'cache', lock, force: true });
    expect(again.failed).toBe(0);
    // Every paid task made again (the two upscales share one input: the maker draws the same picture).
    expect(fake.counts.create).toBe(2 * creates);
    const newest = fake.predictions.list().find((p) => p.model === INTERNAL);
    expect(newest?.version).toMatch(DEPLOYMENT);
    expect(deployed.has(newest?.version)).toBe(false);
    for (const [id, entry] of Object.entries(again.lock.tasks)) {
      expect(entry.key, id).toBe(lock.tasks[id]?.key);
      expect(entry.version, id).toBe(lock.tasks[id]?.version);
    }
  });
});
