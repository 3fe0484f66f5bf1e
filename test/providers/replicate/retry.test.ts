import { describe, expect, it } from 'vitest';
import { TransportError } from '../../../src/providers/replicate/errors.js';
import { backoffDelay, parseRetryAfter, withRetries } from '../../../src/providers/replicate/retry.js';
import { createFakeTime } from './helpers.js';

const now = Date.UTC(2025, 0, 15, 12, 0, 0);

describe('parseRetryAfter', () => {
  it('reads seconds, HTTP dates, the body field and ratelimit-reset', () => {
    expect(parseRetryAfter(new Headers({ 'retry-after': '2' }), '', now)).toBe(2000);
    const date = new Date(now + 7000).toUTCString();
    expect(parseRetryAfter(new Headers({ 'retry-after': date }), '', now)).toBe(7000);
    expect(parseRetryAfter(new Headers(), '{"detail":"throttled","retry_after":5}', now)).toBe(5000);
    expect(
      parseRetryAfter(new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }), '', now),
    ).toBe(3000);
    expect(
      parseRetryAfter(new Headers({ 'ratelimit-remaining': '5', 'ratelimit-reset': '3' }), '', now),
    ).toBe(undefined);
    expect(parseRetryAfter(new Headers(), 'not json', now)).toBe(undefined);
  });
});

describe('backoffDelay', () => {
  it('is full jitter under an exponential ceiling with a cap', () => {
    expect(backoffDelay(0, () => 0.999)).toBeLessThan(500);
    expect(backoffDelay(3, () => 0.999)).toBeLessThan(4000);
    expect(backoffDelay(3, () => 0.999)).toBeGreaterThan(3900);
    expect(backoffDelay(20, () => 0.999)).toBeLessThan(30_000);
    expect(backoffDelay(5, () => 0)).toBe(0);
  });
});

describe('withRetries', () => {
  it('waits at least what the server asked, on the injected clock', async () => {
    const time = createFakeTime(now, () => 0);
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) {
          throw new TransportError({
            message: 'x',
            status: 429,
            detail: 'throttled',
            retryable: true,
            maybeProcessed: false,
            retryAfterMs: 2000,
          });
        }
        return 'ok';
      },
      { time, maxAttempts: 6 },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(time.sleeps).toEqual([2000, 2000]);
    expect(time.clock() - now).toBe(4000);
  });

  it('stops at the attempt cap and does not retry 4xx', async () => {
    const time = createFakeTime(now);
    let calls = 0;
    const failing = async () => {
      calls++;
      throw new TransportError({
        message: 'x',
        status: 503,
        detail: 'down',
        retryable: true,
        maybeProcessed: true,
      });
    };
    await expect(withRetries(failing, { time, maxAttempts: 4 })).rejects.toThrow('x');
    expect(calls).toBe(4);
    calls = 0;
    const bad = async () => {
      calls++;
      throw new TransportError({
        message: 'bad',
        status: 422,
        detail: 'bad',
        retryable: false,
        maybeProcessed: false,
      });
    };
    await expect(withRetries(bad, { time, maxAttempts: 4 })).rejects.toThrow('bad');
    expect(calls).toBe(1);
  });
});
