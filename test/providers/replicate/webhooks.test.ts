import { createServer } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../src/models/catalog.js';
import { createReplicateProvider } from '../../../src/providers/replicate/index.js';
import { realSleep } from '../../../src/providers/replicate/retry.js';
import {
  createWebhookReceiver,
  verifyDelivery,
  type WebhookReceiver,
} from '../../../src/providers/replicate/webhooks.js';
import { CANARY, png, tempDir } from './helpers.js';
import { type MiniReplicate, startMiniReplicate } from './mini-replicate.js';

// The public Standard Webhooks / Svix test vector (reference §6.2).
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const signer = new Webhook(SECRET);

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function deliver(port: number, body: string, headers: Record<string, string>) {
  return fetch(`http://127.0.0.1:${port}/hook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

function signed(id: string, body: string, at = new Date()) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signer.sign(id, at, body),
  };
}

describe('verifyDelivery', () => {
  it('accepts the public test vector within the window and rejects it outside', () => {
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const body = '{"test": 2432232314}';
    expect(verifyDelivery(signer, headers, body, 1614265330_000 + 60_000, new Set()).ok).toBe(true);
    expect(verifyDelivery(signer, headers, body, 1614265330_000 + 301_000, new Set())).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(verifyDelivery(signer, headers, `${body} `, 1614265330_000, new Set())).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(
      verifyDelivery(
        signer,
        { ...headers, 'webhook-signature': 'v9,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
        body,
        1614265330_000,
        new Set(),
      ),
    ).toMatchObject({ ok: false });
    expect(
      verifyDelivery(signer, headers, body, 1614265330_000, new Set(['msg_p5jXN8AQM9LWM0D4loKWxJek'])),
    ).toMatchObject({ ok: false, status: 409 });
  });
});

describe('webhook receiver', () => {
  let receiver: WebhookReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  it('rejects forged (401), stale (401) and replayed (409) deliveries and uses only the genuine one', async () => {
    receiver = createWebhookReceiver({
      secret: SECRET,
      port: 0,
      time: { clock: () => Date.now(), sleep: realSleep },
    });
    const { port } = await receiver.listen();
    const body = JSON.stringify({ id: 'p1', status: 'succeeded', output: ['https://x/out-0.webp'] });
    const forgedSigner = new Webhook('whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const now = new Date();
    const forged = await deliver(port, body, {
      ...signed('msg_1', body),
      'webhook-signature': forgedSigner.sign('msg_1', now, body),
    });
    expect(forged.status).toBe(401);
    const tampered = await deliver(port, body.replace('succeeded', 'failed'), signed('msg_1', body));
    expect(tampered.status).toBe(401);
    const stale = await deliver(port, body, signed('msg_2', body, new Date(Date.now() - 10 * 60_000)));
    expect(stale.status).toBe(401);
    const missing = await deliver(port, body, {});
    expect(missing.status).toBe(401);
    const waiting = receiver.waitFor('p1', 5_000, new AbortController().signal);
    const genuine = await deliver(port, body, signed('msg_3', body));
    expect(genuine.status).toBeLessThan(300);
    expect((await waiting)?.status).toBe('succeeded');
    const replay = await deliver(port, body, signed('msg_3', body));
    expect(replay.status).toBe(409);
    expect(receiver.stats()).toEqual({ accepted: 1, rejected: 4, replayed: 1 });
  });

  it('keeps a delivery that arrives before anyone waits, and times out to undefined', async () => {
    receiver = createWebhookReceiver({
      secret: SECRET,
      port: 0,
      time: { clock: () => Date.now(), sleep: realSleep },
    });
    const { port } = await receiver.listen();
    const body = JSON.stringify({ id: 'early', status: 'failed', error: 'boom' });
    await deliver(port, body, signed('msg_e', body));
    expect((await receiver.waitFor('early', 10, new AbortController().signal))?.status).toBe('failed');
    expect(await receiver.waitFor('never', 10, new AbortController().signal)).toBeUndefined();
  });
});

describe('provider with webhooks', () => {
  let mini: MiniReplicate | undefined;
  afterEach(async () => {
    await mini?.close();
    mini = undefined;
  });

  async function run(deliverIt: boolean, fallbackMs: number) {
    const dir = await tempDir();
    const port = await freePort();
    const image = await png(20, 20);
    let url = '';
    mini = await startMiniReplicate({
      script: (input) => ({
        create: { status: 'starting', input },
        plan: [{ status: 'processing' }, { status: 'succeeded', output: [url], metrics: { image_count: 1 } }],
      }),
    });
    url = mini.addFile('w.png', image, 'image/png');
    const warnings: string[] = [];
    const provider = createReplicateProvider({
      token: CANARY,
      baseUrl: mini.api,
      webhook: { url: `http://127.0.0.1:${port}/hook`, listen: { port }, fallbackMs },
      onWarning: (m) => warnings.push(m),
      poll: { firstDelayMs: 5, maxDelayMs: 10 },
    });
    const catalog = createCatalog();
    try {
      const pending = provider.predict({
        model: 'black-forest-labs/flux-schnell',
        catalog: catalog.get('black-forest-labs/flux-schnell') as never,
        input: { prompt: 'hook' },
        workDir: dir.path,
        taskKey: 'k',
        label: { recipe: 'r', asset: 'a', step: 's' },
        signal: new AbortController().signal,
        onEvent: (e) => {
          if (deliverIt && e.type === 'prediction-created') {
            const body = JSON.stringify({
              id: e.predictionId,
              status: 'succeeded',
              output: [url],
              metrics: { image_count: 1 },
            });
            void deliver(port, body, signed(`msg_${e.predictionId}`, body));
          }
        },
      });
      const result = await pending;
      return { result, warnings, mini };
    } finally {
      await provider.close?.();
      await dir.remove();
    }
  }

  it('a delivered webhook ends the wait without polling; the create carries webhook + completed filter', async () => {
    const { result, mini: m } = await run(true, 10_000);
    expect(result.files).toHaveLength(1);
    expect(m.server.count('GET', /^\/v1\/predictions\/p/)).toBe(0);
    expect(m.server.count('GET', '/v1/webhooks/default/secret')).toBe(1);
    const create = JSON.parse(m.server.requests.find((r) => r.method === 'POST')?.body.toString() ?? '{}');
    expect(create.webhook).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    expect(create.webhook_events_filter).toEqual(['completed']);
  });

  it('a lost webhook is covered by polling', async () => {
    const { result, warnings: w, mini: m } = await run(false, 30);
    expect(result.files).toHaveLength(1);
    expect(m.server.count('GET', /^\/v1\/predictions\/p/)).toBe(2);
    expect(w.join('\n')).toContain('no webhook');
  });
});
