/**
 * Predictions that end without a result, against the fake Replicate: each is reported to the runner as
 * `prediction-ended` with what it really cost from its metrics (a canceled time-billed one the seconds
 * it ran, an aborted one nothing), once, and the errors say what happened.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CancelledError, type ProviderError } from '../../../src/errors.js';
import { createCatalog } from '../../../src/models/catalog.js';
import {
  createReplicateProvider,
  type ReplicateProviderOptions,
} from '../../../src/providers/replicate/index.js';
import type { PredictionRequest, ProviderEvent } from '../../../src/providers/types.js';
import {
  type FakeReplicate,
  type FakeReplicateOptions,
  startFakeReplicate,
} from '../../fake-replicate/index.js';
import { CANARY, createScaledTime, smallImageMaker, tempDir } from './helpers.js';
import { testPricing } from './test-prices.js';

const SDXL = 'stability-ai/sdxl';
const SDXL_USD_PER_SECOND = 0.000725;
const catalog = createCatalog();

let fake: FakeReplicate;
let dir: { path: string; remove: () => Promise<void> };
let events: ProviderEvent[];

async function start(options: FakeReplicateOptions = {}) {
  fake = await startFakeReplicate({ token: CANARY, makeOutputs: smallImageMaker, ...options });
}
beforeEach(async () => {
  dir = await tempDir();
  events = [];
});
afterEach(async () => {
  await fake?.close();
  await dir.remove();
});

function provider(options: Partial<ReplicateProviderOptions> = {}) {
  const time = createScaledTime(0.01);
  return createReplicateProvider({
    token: CANARY,
    baseUrl: fake.baseUrl,
    clock: time.clock,
    sleep: time.sleep,
    random: time.random,
    waitSeconds: 1,
    ...options,
  });
}

let tasks = 0;
function request(
  model: string,
  input: Record<string, unknown>,
  extra: Partial<PredictionRequest> = {},
): PredictionRequest {
  const entry = catalog.get(model);
  const workDir = join(dir.path, `task-${++tasks}`);
  mkdirSync(workDir);
  return {
    model,
    ...(entry ? { catalog: entry } : {}),
    ...testPricing(model),
    ...(entry && !entry.official ? { version: entry.version } : {}),
    input,
    workDir,
    taskKey: `k${tasks}`,
    label: { recipe: 'r', asset: 'a', step: 's' },
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

const ended = () => events.filter((e) => e.type === 'prediction-ended');

async function rawCreate(
  model: string,
  input: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${fake.baseUrl}/predictions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CANARY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ version: catalog.get(model)?.version, input }),
  });
  expect(response.status).toBe(201);
  return String(((await response.json()) as { id: string }).id);
}

describe('predictions that end without a result', () => {
  it('a canceled time-billed prediction is booked at the seconds it ran, from the cancel’s answer', async () => {
    await start({ behaviour: { runMs: 600_000, coldStart: 'never' } });
    const controller = new AbortController();
    const task = request(SDXL, { prompt: 'a lamp' }, { signal: controller.signal });
    task.onEvent = (e) => {
      events.push(e);
      if (e.type === 'status' && e.status === 'processing') setTimeout(() => controller.abort(), 150);
    };
    const error = await provider()
      .predict(task)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(fake.counts.cancel).toBe(1);
    const [end] = ended();
    const id = (events.find((e) => e.type === 'prediction-created') as { predictionId: string }).predictionId;
    const served = fake.predictions.get(id) as { status: string; metrics: { predict_time: number } };
    expect(served.status).toBe('canceled');
    expect(served.metrics.predict_time).toBeGreaterThan(0);
    expect(end).toEqual({
      type: 'prediction-ended',
      predictionId: id,
      status: 'canceled',
      actualUsd: expect.closeTo(served.metrics.predict_time * SDXL_USD_PER_SECOND, 9),
    });
    expect(ended()).toHaveLength(1);
  });

  it('a failed prediction is reported with its cost before the failure', async () => {
    await start({
      behaviour: { runMs: 50 },
      models: { [SDXL]: { failure: { always: true, error: 'CUDA OOM' } } },
    });
    const error = (await provider()
      .predict(request(SDXL, { prompt: 'x' }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe('REPLICATE_PREDICTION_FAILED');
    const [end] = ended();
    expect(end).toMatchObject({ type: 'prediction-ended', status: 'failed' });
    expect((end as { actualUsd: number }).actualUsd).toBeGreaterThan(0);
  });

  it('aborted at the Cancel-After this run sent: said so, booked at nothing', async () => {
    // The fake runs 200× faster than its simulated time; the provider's clock 100× (it moves when it sleeps).
    await start({ timeScale: 0.005, behaviour: { startingMs: 3_600_000, coldStart: 'never' } });
    const error = (await provider({ stepTimeoutMs: 60_000 })
      .predict(request(SDXL, { prompt: 'queued' }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe('REPLICATE_PREDICTION_ABORTED');
    expect(error.message).toContain(
      'prediction was aborted by Replicate before it started: the step deadline this run sent with it (Cancel-After, from --step-timeout)',
    );
    expect(error.message).toContain('nothing was charged');
    expect(ended()).toMatchObject([{ status: 'aborted', actualUsd: 0 }]);
  });

  it('an aborted prediction resumed from an earlier run names its own deadline, not this run’s', async () => {
    await start({ timeScale: 0.005, behaviour: { startingMs: 3_600_000, coldStart: 'never' } });
    const id = await rawCreate(SDXL, { prompt: 'queued' }, { 'cancel-after': '10s' });
    await fake.predictions.settled(id);
    expect(fake.predictions.get(id)?.status).toBe('aborted');
    fake.resetCounts();
    const error = (await provider()
      .predict(request(SDXL, { prompt: 'queued' }, { resume: { predictionId: id } }))
      .catch((e: unknown) => e)) as ProviderError;
    expect(error.code).toBe('REPLICATE_RESUMED_PREDICTION_ENDED');
    expect(error.message).toContain(`prediction ${id}, created by an earlier run, had ended aborted`);
    expect(error.message).toMatch(
      /its deadline \(\S+\), set when it was created, passed while it was still queued/,
    );
    expect(error.message).not.toContain('this run sent');
    expect(error.message).toContain('a new, counted cost');
    expect(fake.counts.create).toBe(0);
    expect(ended()).toMatchObject([{ predictionId: id, status: 'aborted', actualUsd: 0 }]);
  });

  it('close() while a task runs: one cancel, the end reported once', async () => {
    await start({ behaviour: { runMs: 600_000, coldStart: 'never' } });
    const p = provider();
    const running = p.predict(request(SDXL, { prompt: 'long' })).catch((e: unknown) => e);
    while (!events.some((e) => e.type === 'prediction-created')) await new Promise((r) => setTimeout(r, 5));
    await p.close?.();
    expect(await running).toBeInstanceOf(CancelledError);
    expect(fake.counts.cancel).toBe(1);
    expect(ended()).toMatchObject([{ status: 'canceled' }]);
  });
});
