/**
 * The recorded real exchanges (../shared/replicate-recorded/python-cassettes.json) fed through the
 * provider: each recorded reply is played back over HTTP by a replay server and the provider's real code
 * path reads it — polling a recorded lifecycle to its end, decoding the recorded inline SDXL output,
 * reading recorded errors, renamed official models, a missing or dead stream, models and uploads.
 * Where a recording stops before the prediction ends, the replay ends it with the recorded body plus a
 * terminal status (marked `ended()` below); everything else is exactly as recorded.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { probeImage } from '../../../src/image/index.js';
import { type CatalogModel, createCatalog } from '../../../src/models/catalog.js';
import { actualCostUsd } from '../../../src/providers/replicate/cost.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import {
  asPrediction,
  isTerminal,
  numericMetrics,
  splitOutput,
  versionRan,
} from '../../../src/providers/replicate/prediction.js';
import type { PredictionRequest, ProviderEvent } from '../../../src/providers/types.js';
import { loadRecordings, type RecordedResponse } from '../../fake-replicate/recordings.js';
import { CANARY, createFakeTime, tempDir } from './helpers.js';
import { type ReplayRoute, type ReplayServer, startReplay } from './replay-server.js';
import { TEST_PRICES, testPricing } from './test-prices.js';

type Json = Record<string, unknown>;
const recordings = loadRecordings();
const catalog = createCatalog();
const SDXL = catalog.get('stability-ai/sdxl') as CatalogModel;
const LLAMA_70B = catalog.get('meta/meta-llama-3-70b-instruct') as CatalogModel;
const png = recordings.sdxlPng();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let replay: ReplayServer | undefined;
let dir: { path: string; remove: () => Promise<void> };
let events: ProviderEvent[];
let warnings: string[];
beforeEach(async () => {
  dir = await tempDir();
  events = [];
  warnings = [];
});
afterEach(async () => {
  await replay?.close();
  replay = undefined;
  await dir.remove();
});

const response = (name: string): RecordedResponse => recordings.one(name).response;
const steps = (name: string): RecordedResponse[] => (recordings.exchanges[name] ?? []).map((s) => s.response);
const requestBody = (name: string): Json => JSON.parse(recordings.one(name).request.body) as Json;
const bodyOf = (reply: RecordedResponse): Json => JSON.parse(reply.body) as Json;

/** The recorded reply, ended by the replay (the recording stops before the prediction does). */
function ended(reply: RecordedResponse, patch: Json): RecordedResponse {
  const body = { ...bodyOf(reply), status: 'succeeded', completed_at: '2024-10-04T18:17:12.000Z', ...patch };
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

async function replayOf(routes: ReplayRoute[]) {
  replay = await startReplay(routes, { png });
  const time = createFakeTime();
  const provider = createReplicateProvider({
    token: CANARY,
    baseUrl: replay.api,
    clock: time.clock,
    sleep: time.sleep,
    random: time.random,
    onWarning: (m) => warnings.push(m),
  });
  return { provider, replay };
}

let tasks = 0;
function task(model: CatalogModel, input: Json, extra: Partial<PredictionRequest> = {}): PredictionRequest {
  const workDir = join(dir.path, `task-${++tasks}`);
  mkdirSync(workDir);
  return {
    model: model.ref,
    catalog: model,
    ...testPricing(model.ref),
    input,
    workDir,
    taskKey: `k${tasks}`,
    label: { recipe: 'recorded', asset: 'corgi', step: 'gen' },
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}

describe('every recorded prediction body', () => {
  it('parses, and reports a version only when it is a version id', () => {
    let seen = 0;
    for (const [name, exchanges] of Object.entries(recordings.exchanges)) {
      for (const exchange of exchanges) {
        const body = bodyOf(exchange.response);
        if (typeof body.id !== 'string' || typeof body.status !== 'string') continue;
        seen++;
        const prediction = asPrediction(body);
        const version = String(body.version);
        expect(versionRan(prediction), name).toBe(/^[0-9a-f]{64}$/.test(version) ? version : undefined);
        expect(isTerminal(prediction), name).toBe(
          ['succeeded', 'failed', 'canceled'].includes(prediction.status),
        );
        for (const value of Object.values(numericMetrics(prediction)))
          expect(Number.isFinite(value)).toBe(true);
        if (
          Array.isArray(body.output) &&
          typeof body.output[0] === 'string' &&
          body.output[0].startsWith('data:')
        ) {
          expect(splitOutput(body.output, false).urls).toHaveLength(1);
        }
      }
    }
    expect(seen).toBeGreaterThanOrEqual(15);
    expect(versionRan(bodyOf(response('llm_official_create_lifeboat')) as never)).toBeUndefined();
  });
});

describe('the recorded exchanges through the provider', () => {
  it('run_lifecycle: sends what was recorded, polls the recorded replies to the end, downloads and prices it', async () => {
    const lifecycle = steps('run_lifecycle');
    const sent = JSON.parse(recordings.exchanges.run_lifecycle?.[0]?.request.body ?? '{}') as Json;
    const { provider } = await replayOf([
      { method: 'POST', path: '/v1/predictions', replies: lifecycle.slice(0, 1) },
      { method: 'GET', path: '/v1/predictions/azaq55dbukgxg6kubr4k6g3pby', replies: lifecycle.slice(1) },
    ]);
    const result = await provider.predict(task(SDXL, sent.input as Json, { version: String(sent.version) }));
    const [create] = replay?.hits ?? [];
    expect(JSON.parse(create?.body.toString() ?? '{}')).toEqual(sent);
    expect(replay?.server.count('GET', /^\/v1\/predictions\//)).toBe(lifecycle.length - 1);
    expect(result).toMatchObject({ predictionId: 'azaq55dbukgxg6kubr4k6g3pby', version: sent.version });
    expect(result.actualUsd).toBeCloseTo(5.524512 * 0.000725, 9);
    expect(result.actualUsd).toBe(
      actualCostUsd(TEST_PRICES['stability-ai/sdxl'], { predict_time: 5.524512 }),
    );
    expect(result.files[0]?.sha256).toBe(sha256(png));
    expect(await probeImage(result.files[0]?.path ?? '')).toMatchObject({ width: 512, height: 512 });
    const logs = events
      .filter((e) => e.type === 'log')
      .map((e) => (e as { text: string }).text)
      .join('');
    expect(logs).toContain('Using seed: 42069');
    expect(logs).toContain('100%|██████████| 50/50');
    expect(events).toContainEqual({
      type: 'status',
      status: 'processing',
      predictionId: 'azaq55dbukgxg6kubr4k6g3pby',
    });
  });

  it.each([
    ['as recorded (data:image/png)', (body: string) => body],
    [
      'typed application/octet-stream',
      (body: string) => body.replace('data:image/png;', 'data:application/octet-stream;'),
    ],
  ])(
    'sdxl_create_blocking_processing: processing with the output inline is polled to its end, the data: URI decoded and verified — %s',
    async (_, retype) => {
      const recorded = response('sdxl_create_blocking_processing');
      const created = { ...recorded, body: retype(recorded.body) };
      const { provider } = await replayOf([
        { method: 'POST', path: '/v1/predictions', replies: [created] },
        {
          method: 'GET',
          path: '/v1/predictions/37mkg0qrxnrgj0cjb2zsyaxzjm',
          replies: [ended(created, { metrics: { predict_time: 2.61 } })],
        },
      ]);
      const sent = requestBody('sdxl_create_blocking_processing');
      const result = await provider.predict(
        task(SDXL, sent.input as Json, { version: String(sent.version) }),
      );
      expect(replay?.server.count('GET', '/v1/predictions/37mkg0qrxnrgj0cjb2zsyaxzjm')).toBe(1);
      // The stream URL an image model gets is not read, and no output URL is fetched: it was inline.
      expect(replay?.server.requests.filter((r) => !r.path.startsWith('/v1/'))).toEqual([]);
      const [file] = result.files;
      expect(file).toMatchObject({ sha256: sha256(png), bytes: png.length, contentType: 'image/png' });
      expect(file?.path.endsWith('out-0.png')).toBe(true);
      expect(await probeImage(file?.path ?? '')).toMatchObject({ width: 512, height: 512, format: 'png' });
    },
  );

  it('invalid_token_401: one request, a readable error without the token', async () => {
    const { provider } = await replayOf([
      { method: 'POST', path: '/v1/predictions', replies: [response('invalid_token_401')] },
    ]);
    const sent = requestBody('invalid_token_401');
    const err = await failure(
      provider.predict(task(SDXL, sent.input as Json, { version: String(sent.version) })),
    );
    expect(err.code).toBe('REPLICATE_HTTP_401');
    expect(err.message).toContain('You did not pass a valid authentication token');
    expect(err.message).not.toContain(CANARY);
    expect(err.retryable).toBe(false);
    expect(replay?.hits).toHaveLength(1);
  });

  it('cancel_canceled: a journalled prediction found canceled (logs: null) is given up for a new one, booked at the seconds it ran', async () => {
    const { provider } = await replayOf([
      {
        method: 'GET',
        path: '/v1/predictions/hdwst0bb05rgp0cf0p29mzk2am',
        replies: [response('cancel_canceled')],
      },
    ]);
    const err = await failure(
      provider.predict(
        task(SDXL, { prompt: 'corgi' }, { resume: { predictionId: 'hdwst0bb05rgp0cf0p29mzk2am' } }),
      ),
    );
    // The runner creates a new prediction on this code (a new, counted cost).
    expect(err.code).toBe('REPLICATE_RESUMED_PREDICTION_ENDED');
    expect(err.message).toContain(
      'prediction hdwst0bb05rgp0cf0p29mzk2am, created by an earlier run, had ended canceled',
    );
    expect(err.message).toContain('a new, counted cost');
    // sdxl is time-billed: the recorded predict_time 0.128148 s × $0.000725/s.
    expect(events).toContainEqual({
      type: 'prediction-ended',
      predictionId: 'hdwst0bb05rgp0cf0p29mzk2am',
      status: 'canceled',
      actualUsd: expect.closeTo(0.128148 * 0.000725, 9),
    });
    expect(replay?.server.count('POST', /./)).toBe(0);
  });

  it('problem_404_no_title: a journalled id the service does not know is REPLICATE_PREDICTION_NOT_FOUND', async () => {
    const { provider } = await replayOf([
      { method: 'GET', path: /^\/v1\/predictions\/[a-z0-9]+$/, replies: [response('problem_404_no_title')] },
    ]);
    const err = await failure(
      provider.predict(
        task(SDXL, { prompt: 'corgi' }, { resume: { predictionId: 'gone0000000000000000000000' } }),
      ),
    );
    expect(err.code).toBe('REPLICATE_PREDICTION_NOT_FOUND');
    expect(err.message).toContain('HTTP 404');
    expect(err.message).toContain('counted cost');
  });

  it('llm_official_create_internal_model: renamed, dp- version, no stream — polled, then resumable by id', async () => {
    const model = { ...LLAMA_70B, ref: 'meta/meta-llama-3-8b-instruct' };
    const pricing = TEST_PRICES['meta/meta-llama-3-70b-instruct'];
    const created = response('llm_official_create_internal_model');
    const tokens = bodyOf(response('llm_official_blocking_processing')).output as string[];
    const id = String(bodyOf(created).id);
    const routes: ReplayRoute[] = [
      { method: 'POST', path: '/v1/models/meta/meta-llama-3-8b-instruct/predictions', replies: [created] },
      {
        method: 'GET',
        path: `/v1/predictions/${id}`,
        replies: [
          { ...created, status: 200 },
          ended(created, {
            output: tokens,
            metrics: { predict_time: 0.4, input_token_count: 9, output_token_count: 17 },
          }),
        ],
      },
    ];
    const { provider } = await replayOf(routes);
    const input = requestBody('llm_official_create_internal_model').input as Json;
    const result = await provider.predict(task(model, input, pricing === undefined ? {} : { pricing }));
    expect(result.text).toBe(tokens.join(''));
    expect(result.version).toBeUndefined();
    expect(result.actualUsd).toBeCloseTo(9 * 6.5e-7 + 17 * 2.75e-6, 12);
    const resumed = await provider.predict(task(model, input, { resume: { predictionId: id } }));
    expect(resumed.text).toBe(tokens.join(''));
    expect(replay?.server.count('POST', /./)).toBe(1);
  });

  it('llm_official_blocking_processing: a stream URL that does not answer is given up and the prediction polled', async () => {
    const model = { ...LLAMA_70B, ref: 'meta/meta-llama-3-8b-instruct' };
    const created = response('llm_official_blocking_processing');
    const id = String(bodyOf(created).id);
    const { provider } = await replayOf([
      { method: 'POST', path: '/v1/models/meta/meta-llama-3-8b-instruct/predictions', replies: [created] },
      {
        method: 'GET',
        path: `/v1/predictions/${id}`,
        replies: [ended(created, { metrics: { predict_time: 0.4 } })],
      },
    ]);
    const result = await provider.predict(
      task(model, requestBody('llm_official_blocking_processing').input as Json),
    );
    expect(result.text).toBe((bodyOf(created).output as string[]).join(''));
    expect(replay?.server.count('GET', /^\/stream\//)).toBe(1);
    expect(warnings.join('\n')).toContain('broke off; polling instead');
  });

  it('sdxl_model_get_2023 / _2024: the latest version is read from a model object without is_official', async () => {
    const { provider } = await replayOf([
      {
        method: 'GET',
        path: '/v1/models/stability-ai/sdxl',
        replies: [response('sdxl_model_get_2023'), response('sdxl_model_get_2024')],
      },
    ]);
    const signal = new AbortController().signal;
    expect(await provider.resolveVersion?.('stability-ai/sdxl', signal)).toBe(
      '39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b',
    );
    expect(await provider.resolveVersion?.('stability-ai/sdxl', signal)).toBe(SDXL.version);
  });

  it('file_upload: a large input goes up and its recorded urls.get (no urls.download) is what the create sends', async () => {
    const big = Buffer.concat([png, Buffer.alloc(300 * 1024 - png.length + 1)]);
    const path = join(dir.path, 'big.png');
    await writeFile(path, big);
    const lifecycle = steps('run_lifecycle');
    const { provider } = await replayOf([
      { method: 'POST', path: '/v1/files', replies: [response('file_upload')] },
      { method: 'POST', path: '/v1/predictions', replies: lifecycle.slice(0, 1) },
      { method: 'GET', path: '/v1/predictions/azaq55dbukgxg6kubr4k6g3pby', replies: lifecycle.slice(1) },
    ]);
    const image = {
      kind: 'file',
      path,
      sha256: sha256(big),
      bytes: big.length,
      contentType: 'image/png',
    } as const;
    await provider.predict(task(SDXL, { prompt: 'corgi', image }, { version: SDXL.version }));
    const create = replay?.hits.find((r) => r.path === '/v1/predictions');
    const uploaded = bodyOf(response('file_upload')) as { urls: { get: string } };
    expect(JSON.parse(create?.body.toString() ?? '{}').input.image).toBe(
      uploaded.urls.get.replace('https://api.replicate.com/v1', replay?.api ?? ''),
    );
  });
});
