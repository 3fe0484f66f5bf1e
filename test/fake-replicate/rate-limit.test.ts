/** The fake's rate limits: token buckets, headers on every reply, the throttle bodies, the low-credit mode. */
import { afterEach, describe, expect, it } from 'vitest';
import { tinyMaker } from './helpers.js';
import { createManualClock, type FakeReplicate, startFakeReplicate } from './index.js';

const SCHNELL = 'black-forest-labs/flux-schnell';

let fake: FakeReplicate | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function createRaw(f: FakeReplicate) {
  return fetch(`${f.baseUrl}/models/${SCHNELL}/predictions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${f.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ input: { prompt: 'p' } }),
  });
}

const limitHeaders = (r: Response) => [
  r.headers.get('ratelimit-remaining'),
  r.headers.get('ratelimit-reset'),
];

describe('rate limits', () => {
  it('answers like the recordings: 599 / 1 after one create, 2999 / 1 after another request', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, clock: createManualClock() });
    const created = await createRaw(fake);
    expect(created.status).toBe(201);
    expect(limitHeaders(created)).toEqual(['599', '1']);
    const account = await fetch(`${fake.baseUrl}/account`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    expect(limitHeaders(account)).toEqual(['2999', '1']);
  });

  it('puts ratelimit headers on every reply: errors, lists, 404s, 401s and 429s alike', async () => {
    fake = await startFakeReplicate({ makeOutputs: tinyMaker, rateLimits: { create: 1 } });
    const auth = { authorization: `Bearer ${fake.token}` };
    const replies = [
      await createRaw(fake),
      await createRaw(fake),
      await fetch(`${fake.baseUrl}/predictions`, { headers: auth }),
      await fetch(`${fake.baseUrl}/predictions/nope`, { headers: auth }),
      await fetch(`${fake.baseUrl}/account`),
      await fetch(`${fake.baseUrl}/models/nobody/nothing`, { headers: auth }),
    ];
    expect(replies.map((r) => r.status)).toEqual([201, 429, 200, 404, 401, 404]);
    for (const reply of replies) {
      expect(reply.headers.get('ratelimit-remaining')).toMatch(/^\d+$/);
      expect(reply.headers.get('ratelimit-reset')).toMatch(/^\d+$/);
    }
  });

  it('is a token bucket: an empty one answers 429 with retry_after and no Retry-After header', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      clock: createManualClock(),
      rateLimits: { create: 2 },
    });
    const responses = [await createRaw(fake), await createRaw(fake), await createRaw(fake)];
    expect(responses.map((r) => r.status)).toEqual([201, 201, 429]);
    expect(responses.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['1', '0', '0']);
    expect(responses[1]?.headers.get('ratelimit-reset')).toBe('60');
    const limited = responses[2] as Response;
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(limited.headers.get('content-type')).toBe('application/problem+json');
    expect(await limited.json()).toEqual({
      detail: 'Request was throttled. Your rate limit resets in ~30s.',
      status: 429,
      retry_after: 30,
    });
    // One token comes back every 30 s; a refused request does not use one.
    await fake.advance(29_000);
    expect((await createRaw(fake)).status).toBe(429);
    await fake.advance(1_000);
    expect((await createRaw(fake)).status).toBe(201);
    expect((await createRaw(fake)).status).toBe(429);
    expect(fake.predictions.size).toBe(3);
  });

  it('plays a low-credit account: 6 creates a minute, a burst of 1, and Replicate’s words', async () => {
    fake = await startFakeReplicate({
      makeOutputs: tinyMaker,
      clock: createManualClock(),
      rateLimits: { lowCredit: true },
    });
    const first = await createRaw(fake);
    expect(first.status).toBe(201);
    expect(limitHeaders(first)).toEqual(['0', '10']);
    await fake.advance(5_000);
    const second = await createRaw(fake);
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBeNull();
    expect(limitHeaders(second)).toEqual(['0', '5']);
    expect(await second.text()).toBe(
      '{"detail":"Request was throttled. Your rate limit for creating predictions is reduced to 6 requests ' +
        'per minute with a burst of 1 requests while you have less than $5.0 in credit. Your rate limit ' +
        'resets in ~5s.","status":429,"retry_after":5}',
    );
    await fake.advance(5_000);
    expect((await createRaw(fake)).status).toBe(201);
    // Other requests keep their own bucket.
    const list = await fetch(`${fake.baseUrl}/predictions`, {
      headers: { authorization: `Bearer ${fake.token}` },
    });
    expect(list.status).toBe(200);

    // Credit topped up: the normal limits again.
    fake.setRateLimits({});
    const after = [await createRaw(fake), await createRaw(fake), await createRaw(fake)];
    expect(after.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(after[2]?.headers.get('ratelimit-remaining')).toBe('597');
  });
});
