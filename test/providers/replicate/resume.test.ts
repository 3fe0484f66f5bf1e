/**
 * Crash resume (`request.resume`) against the fake Replicate: attaching to a journaled prediction,
 * adopting the one a lost create made, and never paying twice — every create counted by the fake.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, ProviderError } from '../../../src/errors.js';
import { probeImage } from '../../../src/image/index.js';
import { createCatalog } from '../../../src/models/catalog.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import type { InputFile, PredictionRequest, ProviderEvent } from '../../../src/providers/types.js';
import {
  type FakeReplicate,
  type FakeReplicateOptions,
  type ReplyProfile,
  startFakeReplicate,
} from '../../fake-replicate/index.js';
import { CANARY, createScaledTime, type FakeTime, smallImageMaker, tempDir } from './helpers.js';

const SCHNELL = 'black-forest-labs/flux-schnell';
const ESRGAN = 'nightmareai/real-esrgan';
const catalog = createCatalog();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let fake: FakeReplicate;
let dir: { path: string; remove: () => Promise<void> };
let events: ProviderEvent[];
let warnings: string[];
let time: FakeTime;
/** Every suite runs against both reply shapes: as recorded from the real service, and as documented. */
const PROFILES = ['recorded', 'documented'] as const satisfies ReplyProfile[];
let profile: ReplyProfile = 'recorded';

async function start(options: FakeReplicateOptions = {}) {
  fake = await startFakeReplicate({
    token: CANARY,
    profile,
    makeOutputs: smallImageMaker,
    behaviour: { runMs: 30 },
    ...options,
  });
}
beforeEach(async () => {
  dir = await tempDir();
  events = [];
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

let workDirs = 0;
function request(
  model: string,
  input: Record<string, unknown>,
  resume: PredictionRequest['resume'],
): PredictionRequest {
  const entry = catalog.get(model);
  // A fresh work folder per task, as the runner gives.
  const workDir = join(dir.path, `task-${++workDirs}`);
  mkdirSync(workDir);
  return {
    model,
    ...(entry ? { catalog: entry } : {}),
    ...(entry && !entry.official ? { version: entry.version } : {}),
    input,
    workDir,
    taskKey: `k${workDirs}`,
    label: { recipe: 'products', asset: 'mug', step: 'draft' },
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    ...(resume ? { resume } : {}),
  };
}

/** What the crashed run sent. `lost`: the server creates it, then the socket dies before any answer. */
async function rawCreate(model: string, input: Record<string, unknown>, lost = false): Promise<string> {
  const entry = catalog.get(model);
  const official = entry?.official ?? true;
  const url = official ? `${fake.baseUrl}/models/${model}/predictions` : `${fake.baseUrl}/predictions`;
  const body = official ? { input } : { version: entry?.version, input };
  if (lost) fake.faults.add({ on: 'create', fault: { type: 'reset-after' } });
  const sent = fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${CANARY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (lost) {
    await expect(sent).rejects.toThrow();
    const newest = fake.predictions.list()[0];
    return String(newest?.id);
  }
  const response = await sent;
  expect(response.status).toBe(201);
  return String(((await response.json()) as { id: string }).id);
}

async function rawUpload(bytes: Buffer): Promise<string> {
  const form = new FormData();
  form.append('content', new Blob([new Uint8Array(bytes)], { type: 'image/png' }), 'in.png');
  const response = await fetch(`${fake.baseUrl}/files`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CANARY}` },
    body: form,
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { urls: { get: string } }).urls.get;
}

async function imageFile(name: string, color: string, size = 8, raw = false): Promise<[InputFile, Buffer]> {
  const bytes = await sharp({ create: { width: size, height: size, channels: 3, background: color } })
    .png(raw ? { compressionLevel: 0 } : {})
    .toBuffer();
  const path = join(dir.path, name);
  await writeFile(path, bytes);
  return [
    { kind: 'file', path, sha256: sha256(bytes), bytes: bytes.length, contentType: 'image/png' },
    bytes,
  ];
}

const dataUri = (bytes: Buffer) => `data:image/png;base64,${bytes.toString('base64')}`;
const journalTime = () => new Date(Date.now() - 5).toISOString();

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe.each(PROFILES)('resume by prediction id (%s replies)', (current) => {
  beforeEach(() => {
    profile = current;
  });
  it('attaches to a running prediction: no create, polled to the end, outputs downloaded and verified', async () => {
    await start({ behaviour: { runMs: 400 } });
    const id = await rawCreate(SCHNELL, { prompt: 'a mug', num_outputs: 2 });
    expect(fake.predictions.get(id)?.status).not.toBe('succeeded');
    fake.resetCounts();
    const result = await provider().predict(
      request(SCHNELL, { prompt: 'a mug', num_outputs: 2 }, { predictionId: id }),
    );
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.get).toBeGreaterThanOrEqual(2);
    expect(result.predictionId).toBe(id);
    expect(events[0]).toEqual({ type: 'prediction-created', predictionId: id, resumed: true });
    expect(result.files).toHaveLength(2);
    const served = fake.predictions.get(id)?.output as string[];
    for (const [i, file] of result.files.entries()) {
      expect(await probeImage(file.path)).toMatchObject({ width: 24, height: 16 });
      const bytes = await readFile(file.path);
      expect(file.sha256).toBe(sha256(bytes));
      const original = Buffer.from(await (await fetch(String(served[i]))).arrayBuffer());
      expect(file.sha256).toBe(sha256(original));
    }
    expect(result.actualUsd).toBeCloseTo(2 * 0.003, 9);
  });

  it('attaches to a succeeded prediction: one GET, no create, no model look-up', async () => {
    await start();
    const [file, bytes] = await imageFile('a.png', '#123');
    const id = await rawCreate(ESRGAN, { image: dataUri(bytes), scale: 2 });
    await fake.predictions.settled(id);
    fake.resetCounts();
    // No version given: the attached prediction tells which one ran.
    const unpinned = request(ESRGAN, { image: file, scale: 2 }, { predictionId: id });
    delete unpinned.version;
    const result = await provider().predict(unpinned);
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.modelGet).toBe(0);
    expect(fake.counts.get).toBe(1);
    expect(result.predictionId).toBe(id);
    expect(result.version).toBe(catalog.get(ESRGAN)?.version);
    expect(await probeImage(result.files[0]?.path ?? '')).toMatchObject({ width: 24, height: 16 });
  });

  it('aborting while attached cancels the prediction on the server, as for a created one', async () => {
    await start({ behaviour: { runMs: 60_000 } });
    const id = await rawCreate(SCHNELL, { prompt: 'forever' });
    fake.resetCounts();
    const controller = new AbortController();
    const task = request(SCHNELL, { prompt: 'forever' }, { predictionId: id });
    task.signal = controller.signal;
    task.onEvent = (e) => {
      if (e.type === 'prediction-created') setTimeout(() => controller.abort(), 20);
    };
    const err = await provider()
      .predict(task)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(fake.counts.cancel).toBe(1);
    expect(fake.counts.create).toBe(0);
    expect(fake.predictions.get(id)?.status).toBe('canceled');
  });

  it('past retention: REPLICATE_OUTPUT_EXPIRED naming the prediction and the re-run, no create', async () => {
    await start({ retentionMs: 50 });
    const id = await rawCreate(SCHNELL, { prompt: 'old' });
    await fake.predictions.settled(id);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(fake.predictions.get(id)?.data_removed).toBe(true);
    fake.resetCounts();
    const err = await failure(provider().predict(request(SCHNELL, { prompt: 'old' }, { predictionId: id })));
    expect(err.code).toBe('REPLICATE_OUTPUT_EXPIRED');
    expect(err.message).toContain(id);
    expect(err.message).toContain('re-run as a new prediction, a new, counted cost');
    expect(err.details.predictionId).toBe(id);
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.download).toBe(0);
    expect(events).toContainEqual({ type: 'prediction-created', predictionId: id, resumed: true });
  });

  it('an output URL that answers 404 on resume is the same expiry error', async () => {
    await start();
    const id = await rawCreate(SCHNELL, { prompt: 'gone' });
    await fake.predictions.settled(id);
    fake.resetCounts();
    fake.faults.add({ on: 'download', fault: { type: 'expired' } });
    const err = await failure(provider().predict(request(SCHNELL, { prompt: 'gone' }, { predictionId: id })));
    expect(err.code).toBe('REPLICATE_OUTPUT_EXPIRED');
    expect(err.message).toContain(`prediction ${id} have expired`);
    expect(err.message).toContain('counted cost');
    expect(fake.counts.create).toBe(0);
    expect(fake.counts.download).toBe(1);
  });

  it('a prediction that had failed is REPLICATE_RESUMED_PREDICTION_ENDED (re-run); an unknown id REPLICATE_PREDICTION_NOT_FOUND', async () => {
    await start({ models: { [SCHNELL]: { failure: { always: true, error: 'NSFW content detected' } } } });
    const id = await rawCreate(SCHNELL, { prompt: 'x' });
    await fake.predictions.settled(id);
    fake.resetCounts();
    const failed = await failure(provider().predict(request(SCHNELL, { prompt: 'x' }, { predictionId: id })));
    expect(failed.code).toBe('REPLICATE_RESUMED_PREDICTION_ENDED');
    expect(failed.message).toContain(`prediction ${id}, created by an earlier run, had ended failed`);
    expect(failed.message).toContain('NSFW content detected');
    expect(failed.message).toContain('counted cost');
    expect(events).toContainEqual({
      type: 'prediction-ended',
      predictionId: id,
      status: 'failed',
      actualUsd: 0,
    });
    const unknown = await failure(
      provider().predict(request(SCHNELL, { prompt: 'x' }, { predictionId: 'nosuchprediction0' })),
    );
    expect(unknown.code).toBe('REPLICATE_PREDICTION_NOT_FOUND');
    expect(unknown.message).toContain('nosuchprediction0');
    expect(unknown.message).toContain('counted cost');
    expect(fake.counts.create).toBe(0);
  });
});

describe.each(PROFILES)(
  'resume after a create whose id was never recorded (createdAfter) (%s replies)',
  (current) => {
    beforeEach(() => {
      profile = current;
    });
    it('adopts the prediction the lost create made, walking pages past newer ones: no create', async () => {
      await start({ pageSize: 1 });
      const since = journalTime();
      const lost = await rawCreate(SCHNELL, { prompt: 'a mug', seed: 7 }, true);
      // Newer predictions of other tasks push it to a later page.
      await rawCreate(SCHNELL, { prompt: 'a mug', seed: 8 });
      await rawCreate(SCHNELL, { prompt: 'a lamp', seed: 7 });
      fake.resetCounts();
      const result = await provider().predict(
        request(SCHNELL, { prompt: 'a mug', seed: 7 }, { createdAfter: since }),
      );
      expect(fake.counts.create).toBe(0);
      expect(fake.counts.list).toBeGreaterThanOrEqual(3);
      expect(result.predictionId).toBe(lost);
      expect(events[0]).toEqual({ type: 'prediction-created', predictionId: lost, resumed: true });
      expect(result.files).toHaveLength(1);
      expect(warnings.join('\n')).toContain(`adopted prediction ${lost}`);
    });

    it('without a usable match (other input, or canceled) it creates exactly once', async () => {
      await start();
      const since = journalTime();
      await rawCreate(SCHNELL, { prompt: 'a mug', seed: 1 });
      const canceled = await rawCreate(SCHNELL, { prompt: 'a mug', seed: 7 }, true);
      await fetch(`${fake.baseUrl}/predictions/${canceled}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${CANARY}` },
      });
      fake.resetCounts();
      const result = await provider().predict(
        request(SCHNELL, { prompt: 'a mug', seed: 7 }, { createdAfter: since }),
      );
      expect(fake.counts.create).toBe(1);
      expect(fake.counts.list).toBeGreaterThanOrEqual(1);
      expect(result.predictionId).not.toBe(canceled);
      expect(fake.predictions.size).toBe(3);
    });

    it('matches an inline image by its bytes: the same image is adopted, another image is not', async () => {
      await start();
      const [mug, mugBytes] = await imageFile('mug.png', '#a52');
      const [lamp] = await imageFile('lamp.png', '#25a');
      const since = journalTime();
      const lost = await rawCreate(ESRGAN, { image: dataUri(mugBytes), scale: 2 }, true);
      fake.resetCounts();
      const p = provider();
      const lampResult = await p.predict(request(ESRGAN, { image: lamp, scale: 2 }, { createdAfter: since }));
      expect(lampResult.predictionId).not.toBe(lost);
      expect(fake.counts.create).toBe(1);
      const mugResult = await p.predict(request(ESRGAN, { image: mug, scale: 2 }, { createdAfter: since }));
      expect(mugResult.predictionId).toBe(lost);
      expect(fake.counts.create).toBe(1);
      expect(fake.counts.fileUpload).toBe(0);
    });

    it('matches an uploaded image by the upload checksum, without uploading again', async () => {
      await start();
      const [big, bigBytes] = await imageFile('big.png', '#777', 400, true);
      expect(bigBytes.length).toBeGreaterThan(256 * 1024);
      const since = journalTime();
      const url = await rawUpload(bigBytes);
      const lost = await rawCreate(ESRGAN, { image: url, scale: 2 }, true);
      fake.resetCounts();
      const result = await provider().predict(
        request(ESRGAN, { image: big, scale: 2 }, { createdAfter: since }),
      );
      expect(result.predictionId).toBe(lost);
      expect(fake.counts.create).toBe(0);
      expect(fake.counts.fileUpload).toBe(0);
      expect(fake.counts.fileGet).toBe(1);
    });

    it('two tasks with identical input resuming at once never both adopt the same prediction', async () => {
      await start();
      const [big, bigBytes] = await imageFile('big.png', '#777', 400, true);
      const since = journalTime();
      const lost = await rawCreate(ESRGAN, { image: await rawUpload(bigBytes), scale: 2 }, true);
      fake.resetCounts();
      // Slow checksum look-ups: both tasks are past listing before either has compared the file.
      fake.faults.add({ on: 'fileGet', times: 2, fault: { type: 'latency', ms: 100 } });
      const p = provider();
      const [a, b] = await Promise.all([
        p.predict(request(ESRGAN, { image: big, scale: 2 }, { createdAfter: since })),
        p.predict(request(ESRGAN, { image: big, scale: 2 }, { createdAfter: since })),
      ]);
      expect(a.predictionId).not.toBe(b.predictionId);
      expect([a.predictionId, b.predictionId]).toContain(lost);
      expect(fake.counts.create).toBe(1);
      // Both looked it up before either claimed it: the claim, not the timing, kept them apart.
      expect(fake.counts.fileGet).toBe(2);
      for (const r of [a, b]) expect(await probeImage(r.files[0]?.path ?? '')).toMatchObject({ width: 24 });
    });
  },
);
