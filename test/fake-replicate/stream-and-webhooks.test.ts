/** SSE streams through `replicate.stream()` and signed webhooks checked with the SDK's `validateWebhook`. */
import { validateWebhook } from 'replicate';
import { afterEach, describe, expect, it } from 'vitest';
import { sdkClient, startWebhookSink, tinyMaker } from './helpers.js';
import { type FakeReplicate, signWebhook, startFakeReplicate } from './index.js';

const LLAMA = 'meta/meta-llama-3-70b-instruct';
const SCHNELL = 'black-forest-labs/flux-schnell';

let fake: FakeReplicate | undefined;
let closeSink: (() => Promise<void>) | undefined;
afterEach(async () => {
  await fake?.close();
  await closeSink?.();
  fake = undefined;
  closeSink = undefined;
});

async function sink(statuses: number[] = []) {
  const s = await startWebhookSink(statuses);
  closeSink = s.close;
  return s;
}

describe('server-sent events', () => {
  it('streams LLM tokens through replicate.stream(), ending with done', async () => {
    fake = await startFakeReplicate({ behaviour: { runMs: 40 } });
    const replicate = sdkClient(fake);
    const events: { event: string; data: string; id?: string }[] = [];
    for await (const event of replicate.stream(LLAMA, { input: { prompt: 'why is the sky blue' } })) {
      events.push({ event: event.event, data: String(event.data), id: event.id });
    }
    const text = events
      .filter((e) => e.event === 'output')
      .map((e) => e.data)
      .join('');
    expect(text).toBe(
      'This is the fake Replicate answering about: why is the sky blue. It has no opinions, only tokens.',
    );
    expect(events.at(-1)).toMatchObject({ event: 'done', data: '{}' });
    expect(events.every((e) => /^\d+:\d+$/.test(e.id ?? ''))).toBe(true);
    expect(fake.counts).toMatchObject({ create: 1, stream: 1 });
    const [prediction] = fake.predictions.list();
    expect(prediction?.metrics).toMatchObject({
      input_token_count: 5,
      output_token_count: 18,
      tokens_per_second: 450,
    });
    expect((prediction?.output as string[] | undefined)?.join('')).toBe(text);
  });

  it('serves the stream without auth as text/event-stream with id lines, replaying what was missed', async () => {
    fake = await startFakeReplicate({ behaviour: { runMs: 10 } });
    const created = await sdkClient(fake).predictions.create({ model: LLAMA, input: { prompt: 'hi' } });
    const streamUrl = created.urls.stream ?? '';
    expect(streamUrl.startsWith(`${fake.baseUrl}/streams/`)).toBe(true);
    await fake.predictions.settled(created.id);
    const response = await fetch(streamUrl, { headers: { accept: 'text/event-stream' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const body = await response.text();
    expect(body).toMatch(/^event: output\nid: \d+:0\ndata: This\n\n/);
    expect(body.endsWith('event: done\nid: ')).toBe(false);
    expect(body).toMatch(/event: done\nid: \d+:\d+\ndata: \{\}\n\n$/);
  });

  it('makes replicate.stream() throw on a failed prediction (error event)', async () => {
    fake = await startFakeReplicate({
      behaviour: { runMs: 5 },
      models: { [LLAMA]: { failure: { always: true, error: 'CUDA out of memory' } } },
    });
    const replicate = sdkClient(fake);
    const run = async () => {
      for await (const _ of replicate.stream(LLAMA, { input: { prompt: 'x' } })) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow('CUDA out of memory');
  });

  it('has no stream URL for image models, as the SDK expects', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const replicate = sdkClient(fake);
    const run = async () => {
      for await (const _ of replicate.stream(SCHNELL, { input: { prompt: 'x' } })) {
        // drain
      }
    };
    await expect(run()).rejects.toThrow('Prediction does not support streaming');
  });
});

describe('webhooks', () => {
  it('signs like Replicate: the §6.2 test vector, checked by validateWebhook too', async () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const body = '{"test": 2432232314}';
    const signature = signWebhook(secret, id, 1614265330, body);
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(await validateWebhook({ id, timestamp: '1614265330', signature, body, secret })).toBe(true);
    expect(await validateWebhook({ id, timestamp: '1614265331', signature, body, secret })).toBe(false);
  });

  it('delivers the completed prediction, signed with the secret the API returns', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker });
    const hook = await sink();
    const replicate = sdkClient(fake);
    const { key } = await replicate.webhooks.default.secret.get();
    expect(key).toBe(fake.webhookSecret);
    expect(key).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    const created = await replicate.predictions.create({
      model: SCHNELL,
      input: { prompt: 'p' },
      webhook: hook.url,
      webhook_events_filter: ['completed'],
    });
    await fake.idle();
    expect(hook.received).toHaveLength(1);
    const [delivery] = hook.received;
    const headers = delivery?.headers ?? {};
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toMatch(/^msg_[a-z0-9]{27}$/);
    expect(await validateWebhook({ headers, body: delivery?.body ?? '' } as never, key)).toBe(true);
    const payload = JSON.parse(delivery?.body ?? '{}');
    expect(payload).toMatchObject({ id: created.id, status: 'succeeded', webhook: hook.url });
    expect(payload).toEqual(fake.predictions.get(created.id));
    expect(fake.counts.webhookSecret).toBe(1);
  });

  it('sends start, logs, output and completed by default, throttling logs', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      timeScale: 0.1,
      behaviour: { runMs: 2000, logSteps: 20 },
    });
    const hook = await sink();
    const replicate = sdkClient(fake);
    await replicate.predictions.create({
      model: SCHNELL,
      input: { prompt: 'p', seed: 3 },
      webhook: hook.url,
    });
    await fake.idle();
    const statuses = hook.received.map((r) => JSON.parse(r.body).status as string);
    expect(statuses[0]).toBe('processing');
    expect(statuses.at(-1)).toBe('succeeded');
    // 21 log lines in 2 s of simulated time, but logs webhooks go out at most every 500 ms (a loaded
    // machine may bunch the log lines into fewer windows, never into more).
    const logs = fake.webhooks.attempts.filter((a) => a.event === 'logs');
    expect(logs.length).toBeGreaterThanOrEqual(1);
    expect(logs.length).toBeLessThanOrEqual(6);
    expect(new Set(fake.webhooks.attempts.map((a) => a.event))).toEqual(
      new Set(['start', 'logs', 'output', 'completed']),
    );
  });

  it('retries a failed completed delivery with the same webhook-id', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, webhookRetryDelaysMs: [10, 20, 40] });
    const hook = await sink([500, 503]);
    await sdkClient(fake).predictions.create({
      model: SCHNELL,
      input: { prompt: 'p' },
      webhook: hook.url,
      webhook_events_filter: ['completed'],
    });
    await fake.idle();
    expect(hook.received).toHaveLength(3);
    expect(new Set(hook.received.map((r) => r.headers['webhook-id'])).size).toBe(1);
    expect(fake.webhooks.attempts.map((a) => [a.attempt, a.status])).toEqual([
      [1, 500],
      [2, 503],
      [3, 200],
    ]);
    for (const r of hook.received) {
      expect(await validateWebhook({ headers: r.headers, body: r.body } as never, fake.webhookSecret)).toBe(
        true,
      );
    }
  });

  it('drops, duplicates, delays and forges webhooks on request', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, timeScale: 0.1 });
    const hook = await sink();
    const replicate = sdkClient(fake);
    const create = () =>
      replicate.predictions.create({
        model: SCHNELL,
        input: { prompt: 'p' },
        webhook: hook.url,
        webhook_events_filter: ['completed'],
      });
    const valid = (r: { headers: Record<string, unknown>; body: string }) =>
      validateWebhook({ headers: r.headers, body: r.body } as never, fake?.webhookSecret ?? '');

    fake.faults.add({ on: 'webhook', fault: { type: 'drop' } });
    await create();
    await fake.idle();
    expect(hook.received).toHaveLength(0);

    fake.faults.add({ on: 'webhook', fault: { type: 'duplicate' } });
    await create();
    await fake.idle();
    expect(hook.received).toHaveLength(2);
    expect(hook.received[0]?.headers['webhook-id']).toBe(hook.received[1]?.headers['webhook-id']);

    hook.received.length = 0;
    fake.faults.add({ on: 'webhook', fault: { type: 'delay', ms: 1000 } });
    const delayed = await create();
    await fake.predictions.settled(delayed.id);
    const completedAt = Date.now();
    await fake.idle();
    expect(hook.received).toHaveLength(1);
    expect(Date.now() - completedAt).toBeGreaterThanOrEqual(80);

    hook.received.length = 0;
    fake.faults.add({ on: 'webhook', fault: { type: 'forge' } });
    await create();
    await fake.idle();
    expect(hook.received).toHaveLength(2);
    expect(await valid(hook.received[0] as never)).toBe(false);
    expect(await valid(hook.received[1] as never)).toBe(true);
    expect(fake.faults.fired.map((f) => f.type)).toEqual(['drop', 'duplicate', 'delay', 'forge']);
  });
});
