/** Injected faults (each observable through the SDK or raw HTTP), failures, deadlines, retention and clocks. */
import { afterEach, describe, expect, it } from 'vitest';
import { download, sdkClient, tinyMaker } from './helpers.js';
import { createManualClock, type FakeReplicate, startFakeReplicate } from './index.js';

const SCHNELL = 'black-forest-labs/flux-schnell';

interface Created {
  id: string;
  created_at: string;
  deadline: string;
}

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const auth = (f: FakeReplicate, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${f.token}`,
  'content-type': 'application/json',
  ...extra,
});

function createRaw(f: FakeReplicate, headers: Record<string, string> = {}, input: object = { prompt: 'p' }) {
  return fetch(`${f.baseUrl}/models/${SCHNELL}/predictions`, {
    method: 'POST',
    headers: auth(f, headers),
    body: JSON.stringify({ input }),
  });
}

describe('HTTP faults', () => {
  it('429 carries Retry-After and retry_after; the SDK fires its immediate retries', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    fake.faults.add({ on: 'create', fault: { type: 'rate-limit', retryAfter: 7 } });
    const limited = await createRaw(fake);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(await limited.json()).toEqual({
      detail: 'Request was throttled. Your rate limit resets in ~7s.',
      status: 429,
      retry_after: 7,
    });
    expect(fake.predictions.size).toBe(0);

    fake.faults.add({ on: 'create', times: 2, fault: { type: 'rate-limit', retryAfter: 2, header: false } });
    const created = await sdkClient(fake).predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    expect(created.status).toBe('starting');
    expect(fake.counts.create).toBe(4);
    expect(fake.predictions.size).toBe(1);
  });

  it('500/503: the SDK retries GETs but not POSTs; the Nth-request targeting works', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const replicate = sdkClient(fake);
    fake.faults.add({ on: 'create', fault: { type: 'status', status: 500 } });
    await expect(replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } })).rejects.toThrow(
      /500/,
    );
    expect(fake.predictions.size).toBe(0);

    const created = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    fake.faults.add({ on: 'get', times: 2, fault: { type: 'status', status: 503 } });
    expect((await replicate.predictions.get(created.id)).id).toBe(created.id);
    expect(fake.counts.get).toBe(3);

    fake.faults.add({ on: 'get', nth: 3, fault: { type: 'status', status: 500 } });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) {
      statuses.push(
        (await fetch(`${fake.baseUrl}/predictions/${created.id}`, { headers: auth(fake) })).status,
      );
    }
    expect(statuses).toEqual([200, 200, 500, 200]);
    expect(fake.faults.fired.map((f) => [f.type, f.match])).toEqual([
      ['status', 1],
      ['status', 1],
      ['status', 2],
      ['status', 3],
    ]);
  });

  it('reset before processing creates nothing; reset after processing creates a duplicate on SDK retry', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const replicate = sdkClient(fake);
    fake.faults.add({ on: 'create', fault: { type: 'reset-before' } });
    await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    expect(fake.counts.create).toBe(2);
    expect(fake.predictions.size).toBe(1);

    fake.faults.add({ on: 'create', fault: { type: 'reset-after' } });
    const second = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'q' } });
    expect(fake.counts.create).toBe(4);
    // The reset request DID create a prediction: the SDK's retry made a second one (paid twice).
    const prompts = fake.predictions.list().map((p) => (p.input as { prompt: string }).prompt);
    expect(prompts).toEqual(['q', 'q', 'p']);
    expect(fake.predictions.list()[0]?.id).toBe(second.id);

    fake.faults.add({ on: 'get', fault: { type: 'reset-before' } });
    const raw = await fetch(`${fake.baseUrl}/predictions/${second.id}`, { headers: auth(fake) }).catch(
      (e) => e,
    );
    expect(raw).toBeInstanceOf(TypeError);
  });

  it('truncates, expires and slows down downloads, and adds latency', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const created = await sdkClient(fake).predictions.create({
      model: SCHNELL,
      input: { prompt: 'p' },
      wait: 5,
    });
    const url = (created.output as string[])[0] ?? '';
    const whole = await download(url);
    if (!('status' in whole)) throw whole.error;
    expect(whole.status).toBe(200);

    fake.faults.add({ on: 'download', fault: { type: 'truncate', bytes: 10 } });
    const truncated = await download(url);
    expect('error' in truncated).toBe(true);

    fake.faults.add({ on: 'download', fault: { type: 'expired' } });
    expect(await download(url)).toMatchObject({ status: 404 });

    fake.faults.add({ on: 'download', fault: { type: 'slow', chunkBytes: 10, intervalMs: 5 } });
    const started = Date.now();
    const slow = await download(url);
    expect(slow).toEqual(whole);
    expect(Date.now() - started).toBeGreaterThanOrEqual(Math.floor(whole.body.length / 10) * 5 - 5);

    fake.faults.add({ on: 'account', fault: { type: 'latency', ms: 120 } });
    const before = Date.now();
    expect((await fetch(`${fake.baseUrl}/account`, { headers: auth(fake) })).status).toBe(200);
    expect(Date.now() - before).toBeGreaterThanOrEqual(115);
    expect(fake.counts.download).toBe(4);
  });
});

describe('model behaviour', () => {
  it('fails every Nth prediction and by a predicate on the input', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      models: {
        [SCHNELL]: {
          failure: { everyNth: 2, when: (input) => input.prompt === 'boom', error: 'NSFW (E005)' },
        },
      },
    });
    const replicate = sdkClient(fake);
    const results = [];
    for (const prompt of ['a', 'b', 'boom', 'c']) {
      results.push(await replicate.predictions.create({ model: SCHNELL, input: { prompt }, wait: 5 }));
    }
    expect(results.map((r) => r.status)).toEqual(['succeeded', 'failed', 'failed', 'failed']);
    expect(results[1]?.error).toBe('NSFW (E005)');
    await expect(replicate.run(SCHNELL, { input: { prompt: 'boom' } })).rejects.toThrow(
      'Prediction failed: NSFW (E005)',
    );
  });

  it('runs on a manual clock: cold start, then warm, with exact metrics', async () => {
    const clock = createManualClock();
    fake = await startFakeReplicate({
      clock,
      makeOutputs: tinyMaker,
      behaviour: { coldStartMs: 5000, runMs: 1000, startingMs: 100 },
    });
    const replicate = sdkClient(fake);
    const cold = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    await fake.advance(5099);
    expect(fake.predictions.get(cold.id)?.status).toBe('starting');
    await fake.advance(1);
    expect(fake.predictions.get(cold.id)?.status).toBe('processing');
    await fake.advance(1000);
    expect(fake.predictions.get(cold.id)).toMatchObject({
      status: 'succeeded',
      metrics: { predict_time: 1, total_time: 6.1, image_count: 1 },
    });
    const warm = await replicate.predictions.create({ model: SCHNELL, input: { prompt: 'p' } });
    await fake.advance(1100);
    expect(fake.predictions.get(warm.id)).toMatchObject({
      status: 'succeeded',
      metrics: { total_time: 1.1 },
    });
  });

  it('Cancel-After: aborted before start, canceled while running, 422 below 5 s', async () => {
    const clock = createManualClock();
    fake = await startFakeReplicate({ clock, makeOutputs: tinyMaker, behaviour: { coldStartMs: 60_000 } });
    const queued = (await (await createRaw(fake, { 'Cancel-After': '30s' })).json()) as Created;
    expect(Date.parse(queued.deadline) - Date.parse(queued.created_at)).toBe(30_000);
    await fake.advance(30_000);
    expect(fake.predictions.get(queued.id)?.status).toBe('aborted');

    fake.setModelBehaviour(SCHNELL, { coldStartMs: 0, runMs: 120_000 });
    const running = (await (await createRaw(fake, { 'Cancel-After': '1m30s' })).json()) as Created;
    await fake.advance(89_000);
    expect(fake.predictions.get(running.id)?.status).toBe('processing');
    await fake.advance(1000);
    expect(fake.predictions.get(running.id)).toMatchObject({
      status: 'canceled',
      metrics: { predict_time: 90 },
    });

    expect((await createRaw(fake, { 'Cancel-After': '4' })).status).toBe(422);
    expect((await createRaw(fake, { 'Cancel-After': 'soon' })).status).toBe(422);
  });

  it('purges outputs after the retention time: output null, data_removed, URLs 404', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, retentionMs: 150 });
    const created = await sdkClient(fake).predictions.create({
      model: SCHNELL,
      input: { prompt: 'p' },
      wait: 5,
    });
    const url = (created.output as string[])[0] ?? '';
    expect(await download(url)).toMatchObject({ status: 200 });
    await new Promise((r) => setTimeout(r, 200));
    const later = await sdkClient(fake).predictions.get(created.id);
    expect(later).toMatchObject({ output: null, data_removed: true, status: 'succeeded' });
    expect(await download(url)).toMatchObject({ status: 404 });
  });

  it('returns outputs as data: URIs when asked, and honours outputCount', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      outputMode: 'data-uri',
      models: { [SCHNELL]: { outputCount: 3 } },
    });
    const created = await sdkClient(fake).predictions.create({
      model: SCHNELL,
      input: { prompt: 'p' },
      wait: 5,
    });
    const output = created.output as string[];
    expect(output).toHaveLength(3);
    expect(output.every((o) => o.startsWith('data:image/png;base64,iVBOR'))).toBe(true);
  });
});
