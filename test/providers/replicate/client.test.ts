import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { createSdkClient } from '../../../src/providers/replicate/client.js';
import { callWithRetries, type ProviderContext } from '../../../src/providers/replicate/context.js';
import {
  createRedactor,
  parseApiErrorMessage,
  TransportError,
  toProviderError,
} from '../../../src/providers/replicate/errors.js';
import { createRateLimiter } from '../../../src/providers/replicate/rate-limiter.js';
import { CANARY, createFakeTime, json, prediction, reset, startServer, type TestServer } from './helpers.js';

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function context(baseUrl: string, maxAttempts = 6) {
  const time = createFakeTime();
  const redact = createRedactor([CANARY]);
  const warnings: string[] = [];
  const ctx: ProviderContext = {
    sdk: createSdkClient({
      token: CANARY,
      baseUrl,
      fetch: (input, init) => fetch(input, init),
      redact,
      clock: time.clock,
      requestTimeoutMs: 10_000,
    }),
    baseUrl,
    time,
    redact,
    limiter: createRateLimiter({ perMinute: 600, time }),
    maxAttempts,
    warn: (m) => warnings.push(m),
  };
  return { ctx, time, warnings };
}

describe('SDK client behind the single-shot fetch wrapper', () => {
  it('waits out a 429 with Retry-After: 2 on the fake clock, with no SDK burst', async () => {
    let calls = 0;
    server = await startServer((req, res) => {
      calls++;
      if (calls === 1)
        return json(res, 429, { detail: 'Request was throttled.', status: 429 }, { 'retry-after': '2' });
      json(res, 200, prediction(`http://${req.headers.host}`, 'p1', { status: 'succeeded' }));
    });
    const { ctx, time, warnings } = context(`${server.url}/v1`);
    const start = time.clock();
    const got = await callWithRetries(ctx, 'get', { model: 'm/n' }, undefined, () =>
      ctx.sdk.predictions.get('p1'),
    );
    expect(got.id).toBe('p1');
    // One throttled request and one retry: the SDK's six back-to-back attempts never happened.
    expect(server.count('GET', '/v1/predictions/p1')).toBe(2);
    expect(time.clock() - start).toBeGreaterThanOrEqual(2000);
    expect(time.sleeps[0]).toBeGreaterThanOrEqual(2000);
    expect(warnings.join('\n')).toContain('HTTP 429');
  });

  it('sends each failing GET exactly once per attempt of ours (SDK retries neutralised)', async () => {
    server = await startServer((_req, res) => json(res, 503, { detail: 'Service Unavailable' }));
    const { ctx } = context(`${server.url}/v1`, 3);
    const err = await callWithRetries(ctx, 'get', { model: 'm/n' }, undefined, () =>
      ctx.sdk.predictions.get('p1'),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).status).toBe(503);
    expect(server.requests).toHaveLength(3);
    // exponential waits between them
    const ctxErr = toProviderError(err, 'polling', { model: 'm/n', predictionId: 'p1' }, ctx.redact);
    expect(ctxErr.message).toContain('HTTP 503');
    expect(ctxErr.message).toContain('p1');
  });

  it('retries a GET whose answer was cut off mid-body (not undici’s bare "terminated")', async () => {
    let calls = 0;
    server = await startServer((req, res, raw) => {
      calls++;
      const body = JSON.stringify(prediction(`http://${req.headers.host}`, 'p1', { status: 'succeeded' }));
      if (calls === 1) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.write(body.slice(0, 20), () => raw.socket.destroy());
        return;
      }
      json(res, 200, JSON.parse(body));
    });
    const { ctx, warnings } = context(`${server.url}/v1`);
    const got = await callWithRetries(ctx, 'polling', { model: 'm/n' }, undefined, () =>
      ctx.sdk.predictions.get('p1'),
    );
    expect(got.status).toBe('succeeded');
    expect(calls).toBe(2);
    expect(warnings.join('\n')).toContain('answer cut off');
  });

  it('never re-sends a POST whose connection was reset, and never lets an ApiError out', async () => {
    server = await startServer((_req, _res, raw) => reset(raw));
    const { ctx } = context(`${server.url}/v1`);
    const err = await ctx.sdk
      .request('/predictions', { method: 'POST', data: { version: 'v', input: {} } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).maybeProcessed).toBe(true);
    expect(server.requests).toHaveLength(1);
  });

  it('turns 4xx bodies into detail text and scrubs the token everywhere', async () => {
    server = await startServer((req, res) =>
      json(res, 401, {
        title: 'Unauthenticated',
        detail: `You did not pass a valid authentication token (${req.headers.authorization})`,
        status: 401,
      }),
    );
    const { ctx } = context(`${server.url}/v1`);
    const err = await ctx.sdk.predictions.get('p1').catch((e: unknown) => e);
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(server.requests).toHaveLength(1);
    expect(err).toBeInstanceOf(TransportError);
    const converted = toProviderError(
      err,
      'reading',
      { model: 'o/n', label: { recipe: 'r', asset: 'a', step: 's' } },
      ctx.redact,
    );
    expect(converted.message).toContain('You did not pass a valid authentication token');
    expect(converted.message).toContain('HTTP 401');
    expect(converted.message).toContain('asset "a"');
    expect(converted.message).not.toContain(CANARY);
    expect(JSON.stringify(converted)).not.toContain(CANARY);
    expect((converted as Error).cause).toBeUndefined();
    expect(String((err as Error).message)).not.toContain(CANARY);
  });

  it('parses the SDK ApiError message (status + detail) without keeping its request', () => {
    const require = createRequire(import.meta.url);
    const ApiError = require('replicate/lib/error') as new (m: string, req: Request, res: Response) => Error;
    const request = new Request('https://api.replicate.com/v1/predictions', {
      headers: { Authorization: `Bearer ${CANARY}` },
    });
    const apiError = new ApiError(
      'Request to https://api.replicate.com/v1/predictions failed with status 422 Unprocessable Entity: {"title":"Invalid version or not permitted","detail":"The specified version does not exist","status":422}.',
      request,
      new Response(null, { status: 422 }),
    );
    expect(parseApiErrorMessage(apiError.message)).toEqual({
      status: 422,
      detail: 'The specified version does not exist',
    });
    const converted = toProviderError(apiError, 'create', { model: 'o/n' }, createRedactor([CANARY]));
    expect(converted.code).toBe('REPLICATE_HTTP_422');
    expect(converted.cause).toBeUndefined();
    expect(JSON.stringify({ ...converted, message: converted.message })).not.toContain(CANARY);
  });
});
