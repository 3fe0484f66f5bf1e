/**
 * The fake in its `recorded` profile, held against the real exchanges in
 * ../shared/replicate-recorded/python-cassettes.json: for each recorded reply, the fake's reply to the
 * same kind of request has the same fields (none invented, none missing) and the same quirks.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { tinyMaker } from './helpers.js';
import { type FakeReplicate, type FakeReplicateOptions, startFakeReplicate } from './index.js';
import { loadRecordings } from './recordings.js';

const recordings = loadRecordings();
const SDXL = 'stability-ai/sdxl';
const SDXL_VERSION = '7762fd07cf82c948538e41f63f77d685e02b063e37e496e96eefd46c929f9bdc';
const SCHNELL = 'black-forest-labs/flux-schnell';
const LLAMA = 'meta/meta-llama-3-70b-instruct';
const DEPLOYMENT = /^dp-[0-9a-f]{32}$/;
/** A legacy field of the 2023–24 replies (reference §3: "ignore"); the fake does not send it. */
const LEGACY = new Set(['webhook_completed']);

type Json = Record<string, unknown>;

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(options: FakeReplicateOptions = {}): Promise<FakeReplicate> {
  fake = await startFakeReplicate({ profile: 'recorded', makeOutputs: tinyMaker, ...options });
  return fake;
}

async function call(path: string, init: { method?: string; body?: unknown; headers?: Json } = {}) {
  const f = fake as FakeReplicate;
  const response = await fetch(`${f.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${f.token}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string>),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, headers: response.headers, json: (await response.json()) as Json };
}

const keys = (value: unknown): string[] =>
  Object.keys(value as Json)
    .filter((k) => !LEGACY.has(k))
    .sort();

function allRecordedPredictionKeys(): Set<string> {
  const found = new Set<string>();
  for (const steps of Object.values(recordings.exchanges)) {
    for (const step of steps) {
      const body = JSON.parse(step.response.body) as Json;
      if (typeof body.id === 'string' && typeof body.status === 'string')
        for (const k of keys(body)) found.add(k);
    }
  }
  return found;
}
const RECORDED_KEYS = allRecordedPredictionKeys();

/** Every field the fake sends was seen in a recorded prediction; every field of `recorded` is there. */
function expectRecordedShape(reply: Json, recorded: Json, optional: string[] = []) {
  const invented = keys(reply).filter((k) => !RECORDED_KEYS.has(k));
  expect(invented).toEqual([]);
  const missing = keys(recorded).filter((k) => !(k in reply) && !optional.includes(k));
  expect(missing).toEqual([]);
  expect(keys(reply.urls)).toEqual(expect.arrayContaining(keys(recorded.urls)));
  expect(reply.urls).not.toHaveProperty('web');
}

async function waitFor(id: string, status: string) {
  for (let i = 0; i < 400; i++) {
    if (fake?.predictions.get(id)?.status === status) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${id} never reached ${status}`);
}

describe('predictions, as recorded', () => {
  it('an official model answers under another name with a dp- version (llm_official_create_internal_model)', async () => {
    const recorded = recordings.json('llm_official_create_internal_model');
    expect(recorded.model).not.toBe('meta/meta-llama-3-8b-instruct');
    expect(recorded.version).toMatch(DEPLOYMENT);
    await start({ behaviour: { runMs: 200 } });
    const created = await call(`/models/${LLAMA}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p' } },
    });
    expect(created.status).toBe(201);
    expect(created.json.model).toBe('replicate-internal/llama3-70b-chat-vllm-unquantized');
    expect(created.json.version).toMatch(DEPLOYMENT);
    expect(created.json.status).toBe('starting');
    expectRecordedShape(created.json, recorded);
    expect(created.json).not.toHaveProperty('source');
    const again = await call(`/models/${LLAMA}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'q' } },
    });
    expect(again.json.version).toBe(created.json.version);
  });

  it('a redeploy changes the dp- version of later predictions only; a renamed image model keeps its rename', async () => {
    await start({ servedAs: { [SCHNELL]: 'replicate-internal/flux-schnell-trt' } });
    const first = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p' } },
    });
    const next = fake?.models.redeploy(SCHNELL);
    const second = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p' } },
    });
    expect(second.json.version).toBe(next);
    expect(second.json.version).not.toBe(first.json.version);
    expect((await call(`/predictions/${String(first.json.id)}`)).json.version).toBe(first.json.version);
    expect(second.json.model).toBe('replicate-internal/flux-schnell-trt');
  });

  it('Prefer: wait answers 201 processing with the output inlined as a data: URI and a stream URL (sdxl_create_blocking_processing)', async () => {
    const exchange = recordings.one('sdxl_create_blocking_processing');
    const recorded = JSON.parse(exchange.response.body) as Json;
    await start({ behaviour: { runMs: 20 } });
    const created = await call('/predictions', {
      method: 'POST',
      headers: { prefer: 'wait=10' },
      body: { version: SDXL_VERSION, input: { prompt: 'a corgi', width: 512, height: 512, seed: 42069 } },
    });
    expect(created.status).toBe(exchange.response.status);
    expect(created.headers.get('preference-applied')).toBe(exchange.response.headers['preference-applied']);
    expect(created.json.status).toBe('processing');
    expect(recorded.status).toBe('processing');
    expect(keys(created.json)).toEqual(keys(recorded));
    expect(keys(created.json.urls)).toEqual(keys(recorded.urls));
    const [uri] = created.json.output as string[];
    expect(uri).toMatch(/^data:image\/png;base64,iVBORw0KGgo/);
    // The same prediction, read afterwards, has ended and points at its file.
    const id = String(created.json.id);
    const settled = await fake?.predictions.settled(id);
    expect(settled?.status).toBe('succeeded');
    expect(String(((settled?.output ?? []) as string[])[0])).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/files-delivery\//,
    );
  });

  it('inlined outputs may be typed application/octet-stream, as users reported', async () => {
    await start({ dataUriType: 'octet-stream' });
    const created = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      headers: { prefer: 'wait' },
      body: { input: { prompt: 'p' } },
    });
    expect(created.headers.get('preference-applied')).toBe('wait');
    expect(String((created.json.output as string[])[0])).toMatch(
      /^data:application\/octet-stream;base64,iVBORw0KGgo/,
    );
  });

  it('a finished community prediction carries predict_time only; an official image model adds image_count (run_lifecycle)', async () => {
    const steps = recordings.exchanges.run_lifecycle ?? [];
    const last = JSON.parse(steps.at(-1)?.response.body ?? '{}') as Json;
    expect(keys(last.metrics)).toEqual(['predict_time']);
    await start({ behaviour: { runMs: 10 } });
    const created = await call('/predictions', {
      method: 'POST',
      body: { version: SDXL_VERSION, input: { prompt: 'a corgi' } },
    });
    const done = (await fake?.predictions.settled(String(created.json.id))) as Json;
    expectRecordedShape(done, last);
    expect(keys(done.metrics)).toEqual(['predict_time']);
    const official = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p', num_outputs: 2 } },
    });
    const image = (await fake?.predictions.settled(String(official.json.id))) as Json;
    expect(image.metrics).toEqual({ predict_time: 0.01, image_count: 2 });
    expect(image.urls).toHaveProperty('stream');
  });

  it('a canceled prediction has logs: null and output: null, with its metrics (cancel_canceled)', async () => {
    const recorded = recordings.json('cancel_canceled');
    expect(recorded.logs).toBeNull();
    await start({ behaviour: { runMs: 60_000 } });
    const created = await call('/predictions', {
      method: 'POST',
      body: { version: SDXL_VERSION, input: { prompt: 'forever' } },
    });
    const id = String(created.json.id);
    await waitFor(id, 'processing');
    const canceled = await call(`/predictions/${id}/cancel`, { method: 'POST' });
    expect(canceled.status).toBe(200);
    expect(canceled.json).toMatchObject({ status: 'canceled', logs: null, output: null });
    expect(canceled.json.metrics).toHaveProperty('predict_time');
    expectRecordedShape(canceled.json, recorded);
  });

  it('404s carry detail and status, no title (problem_404_no_title)', async () => {
    const recorded = recordings.one('problem_404_no_title');
    await start();
    const missing = await call('/predictions/nosuchprediction');
    expect(missing.status).toBe(404);
    expect(keys(missing.json)).toEqual(keys(JSON.parse(recorded.response.body)));
    const unknownModel = await call('/models/acme/nothing-here');
    expect(keys(unknownModel.json)).toEqual(['detail', 'status']);
  });

  it('sends Date on the server clock and ratelimit headers on every reply', async () => {
    await start();
    const reply = await call('/predictions');
    expect(Math.abs(Date.parse(reply.headers.get('date') ?? '') - Date.now())).toBeLessThan(5_000);
    expect(reply.headers.get('ratelimit-remaining')).not.toBeNull();
    expect(reply.headers.get('ratelimit-reset')).not.toBeNull();
  });
});

describe('streams in the recorded profile', () => {
  it('every prediction has urls.stream; an image model streams its file URLs, then done', async () => {
    await start({ behaviour: { runMs: 10 } });
    const created = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p' } },
    });
    const url = (created.json.urls as Json).stream as string;
    await fake?.predictions.settled(String(created.json.id));
    const text = await (await fetch(url)).text();
    expect(text).toMatch(/event: output\nid: \d+:\d+\ndata: http:\/\/127\.0\.0\.1:\d+\/files-delivery\//);
    expect(text).toMatch(/event: done\nid: \d+:\d+\ndata: \{\}\n\n$/);
  });

  it('a model may offer no stream; a stream may break off mid-way', async () => {
    await start({ behaviour: { runMs: 200 }, models: { [SCHNELL]: { stream: false } } });
    const plain = await call(`/models/${SCHNELL}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'p' } },
    });
    expect(plain.json.urls).not.toHaveProperty('stream');
    const llm = await call(`/models/${LLAMA}/predictions`, {
      method: 'POST',
      body: { input: { prompt: 'a b c d e f' } },
    });
    fake?.faults.add({ on: 'stream', fault: { type: 'truncate', bytes: 80 } });
    const response = await fetch(String((llm.json.urls as Json).stream));
    const read = await response.text().then(
      (t) => ({ text: t, error: undefined }),
      (e: unknown) => ({ text: '', error: e }),
    );
    // Either the body ends early with no `done` event, or reading it fails outright.
    expect(read.error !== undefined || !read.text.includes('event: done')).toBe(true);
  });
});

describe('files and models, as recorded', () => {
  it('an upload has exactly the recorded fields, urls.get only (file_upload)', async () => {
    const recorded = recordings.json('file_upload');
    await start();
    const form = new FormData();
    form.append('content', new Blob(['hello'], { type: 'text/plain' }), 'hello.txt');
    const response = await fetch(`${fake?.baseUrl}/files`, {
      method: 'POST',
      headers: { authorization: `Bearer ${fake?.token}` },
      body: form,
    });
    const file = (await response.json()) as Json;
    expect(response.status).toBe(201);
    expect(keys(file)).toEqual(keys(recorded));
    expect(keys(file.urls)).toEqual(['get']);
  });

  it('a model has the recorded fields and no is_official; its version object too (sdxl_model_get_2024, sdxl_version_get_2023)', async () => {
    const recorded = recordings.json('sdxl_model_get_2024');
    const recordedVersion = recordings.json('sdxl_version_get_2023');
    await start();
    const model = await call(`/models/${SDXL}`);
    expect(keys(model.json)).toEqual(keys(recorded));
    expect(model.json).not.toHaveProperty('is_official');
    expect(keys(model.json.latest_version)).toEqual(keys(recorded.latest_version));
    expect((model.json.latest_version as Json).id).toBe((recorded.latest_version as Json).id);
    const version = await call(`/models/${SDXL}/versions/${SDXL_VERSION}`);
    expect(keys(version.json)).toEqual(keys(recordedVersion));
    expect((await call(`/models/${SDXL}/versions/${'0'.repeat(64)}`)).status).toBe(404);
  });

  it('the Cog document built for SDXL matches the recorded one: fields, order, defaults, bounds, enums, companions', async () => {
    const recorded = (recordings.json('sdxl_model_get_2024').latest_version as Json).openapi_schema as Json;
    await start();
    const built = ((await call(`/models/${SDXL}`)).json.latest_version as Json).openapi_schema as Json;
    const schemas = (doc: Json) => (doc.components as { schemas: Record<string, Json> }).schemas;
    const props = (doc: Json) => schemas(doc).Input?.properties as Record<string, Json>;
    const withoutText = (p: Json) => {
      const { description: _d, ...rest } = p;
      return rest;
    };
    expect(Object.keys(props(built)).sort()).toEqual(Object.keys(props(recorded)).sort());
    for (const [name, prop] of Object.entries(props(recorded))) {
      expect(withoutText(props(built)[name] ?? {}), name).toEqual(withoutText(prop));
    }
    for (const name of [
      'refine',
      'scheduler',
      'Output',
      'Status',
      'WebhookEvent',
      'ValidationError',
      'HTTPValidationError',
    ]) {
      expect(schemas(built)[name], name).toEqual(schemas(recorded)[name]);
    }
    for (const name of ['PredictionRequest', 'PredictionResponse']) {
      expect(Object.keys(schemas(built)[name]?.properties as Json).sort(), name).toEqual(
        Object.keys(schemas(recorded)[name]?.properties as Json).sort(),
      );
    }
    expect(built).toMatchObject({ openapi: recorded.openapi, info: recorded.info });
    const recordedPaths = Object.keys(recorded.paths as Json);
    expect(Object.keys(built.paths as Json).every((p) => recordedPaths.includes(p))).toBe(true);
  });
});
