/**
 * The create limiter on a fake clock: its own rules, and closed-loop runs against the fake server's token
 * buckets (test/fake-replicate/rate-limit.ts, the same code the fake answers with) through the provider's
 * own readers of headers and bodies — so what is simulated is exactly what the fake would say.
 */
import { describe, expect, it } from 'vitest';
import { detailFromBody } from '../../../src/providers/replicate/errors.js';
import {
  createRateLimiter,
  PROBE_WAIT_MS,
  type RateLimiter,
  type RateObservation,
} from '../../../src/providers/replicate/rate-limiter.js';
import {
  backoffDelay,
  parseRetryAfter,
  parseStatedLimit,
  readRateHeaders,
} from '../../../src/providers/replicate/retry.js';
import { createManualClock, createScaledClock } from '../../fake-replicate/clock.js';
import { createRateLimiter as createServerLimits, type RateLimits } from '../../fake-replicate/rate-limit.js';
import { createFakeTime } from './helpers.js';

const now = Date.UTC(2025, 0, 15, 12, 0, 0);
const ok = (sentAt: number, remaining: number, resetMs = 1000): RateObservation => ({
  sentAt,
  status: 201,
  remaining,
  resetMs,
});

describe('rate limiter rules', () => {
  it('sends a probe first, waits for its answer, and opens its burst once a reply shows the bucket', async () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 600, time });
    expect(await limiter.acquire()).toEqual({ probe: true });
    // The next create waits for the probe's answer …
    const second = limiter.acquire();
    time.advance(40);
    limiter.observe(ok(now, 599));
    expect(await second).toEqual({ probe: false });
    expect(time.clock() - now).toBe(100);
    // … or its failure (no answer at all: status 0), which changes nothing else …
    const f = createFakeTime(now);
    const failed = createRateLimiter({ perMinute: 600, time: f });
    await failed.acquire();
    const next = failed.acquire();
    failed.observe({ sentAt: now, status: 0 });
    expect(await next).toEqual({ probe: false });
    expect(f.clock() - now).toBe(100);
    expect(failed.state()).toMatchObject({ perMinute: 600, burst: 1 });
    // … or, when nothing comes, for PROBE_WAIT_MS at most.
    const t = createFakeTime(now);
    const l = createRateLimiter({ perMinute: 600, time: t });
    await l.acquire();
    await l.acquire();
    expect(t.clock() - now).toBe(PROBE_WAIT_MS);
    // Until a reply shows the bucket, one at a time at the ceiling's pace.
    await l.acquire();
    expect(t.clock() - now).toBe(PROBE_WAIT_MS + 100);
    time.advance(10_000);
    const before = time.clock();
    for (let i = 0; i < 60; i++) await limiter.acquire();
    expect(time.clock()).toBe(before);
    expect(limiter.state().burst).toBe(60);
  });

  it('never lets more than the ceiling into any 60 s, its burst included', async () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 60, burst: 10, time });
    limiter.observe(ok(now, 59));
    time.advance(60_000);
    const start = time.clock();
    const times: number[] = [];
    for (let i = 0; i < 130; i++) {
      await limiter.acquire();
      times.push(time.clock());
    }
    expect(times.slice(0, 10).every((t) => t === start)).toBe(true);
    for (let i = 60; i < times.length; i++) {
      expect((times[i] ?? 0) - (times[i - 60] ?? 0)).toBeGreaterThanOrEqual(60_000);
    }
    expect((times[129] ?? 0) - start).toBeLessThan(125_000);
  });

  it('serves waiting callers in order', async () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 600, burst: 1, time });
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => limiter.acquire().then(() => order.push(n))));
    expect(order).toEqual([1, 2, 3]);
    expect(time.clock() - now).toBeGreaterThanOrEqual(200);
  });

  it('keeps its rate through 5xx replies and 429s that leave tokens (passing faults)', () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 600, time });
    limiter.observe({ sentAt: now, status: 503, remaining: 580, resetMs: 1000 });
    limiter.observe({ sentAt: now, status: 500 });
    limiter.observe({ sentAt: now, status: 429, remaining: 580, resetMs: 1000, retryAfterMs: 1000 });
    expect(limiter.currentPerMinute()).toBe(600);
    expect(limiter.state().pausedUntil).toBe(Number.NEGATIVE_INFINITY);
  });

  it('follows a stated limit: pauses every create for retry_after, then paces just under it', async () => {
    const time = createFakeTime(now);
    const warnings: string[] = [];
    const limiter = createRateLimiter({ perMinute: 600, time, warn: (m) => warnings.push(m) });
    await limiter.acquire();
    limiter.observe({
      sentAt: now,
      status: 429,
      remaining: 0,
      resetMs: 5000,
      retryAfterMs: 5000,
      stated: { perMinute: 6, burst: 1 },
    });
    expect(limiter.state()).toMatchObject({ burst: 1, pausedUntil: now + 5000 });
    expect(limiter.currentPerMinute()).toBeCloseTo(5.7, 9);
    await limiter.acquire();
    expect(time.clock() - now).toBe(5000);
    await limiter.acquire();
    expect(time.clock() - now).toBe(5000 + Math.ceil(60_000 / 5.7));
    expect(warnings).toEqual([
      'replicate: Replicate limits this account to 6 creates per minute with a burst of 1 (low credit?); pacing creates to match',
    ]);
    // A 429 without the text does not cut below the stated limit …
    limiter.observe({ sentAt: time.clock(), status: 429, remaining: 0 });
    expect(limiter.currentPerMinute()).toBeCloseTo(5.7, 9);
    // … and 429s naming it, drawn at its pace (jitter), widen the margin by 5 % each, down to 80 %.
    const refused = { status: 429, remaining: 0, stated: { perMinute: 6, burst: 1 } } as const;
    limiter.observe({ ...refused, sentAt: time.clock() });
    expect(limiter.currentPerMinute()).toBeCloseTo(5.4, 9);
    for (let i = 0; i < 5; i++) {
      time.advance(10_000);
      limiter.observe({ ...refused, sentAt: time.clock() - 100 });
    }
    expect(limiter.currentPerMinute()).toBeCloseTo(4.8, 9);
    expect(warnings).toHaveLength(1);
  });

  it('halves on an unexplained empty-bucket 429 once per episode, never below the minimum', () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 600, time, minPerMinute: 20 });
    const throttled = (sentAt: number): RateObservation => ({ sentAt, status: 429, remaining: 0 });
    time.advance(1000);
    // Three creates that were all sent before the cut: one episode, one cut.
    for (let i = 0; i < 3; i++) limiter.observe(throttled(now));
    expect(limiter.currentPerMinute()).toBe(300);
    time.advance(1000);
    limiter.observe(throttled(time.clock()));
    expect(limiter.currentPerMinute()).toBe(150);
    for (let i = 0; i < 10; i++) {
      time.advance(1000);
      limiter.observe(throttled(time.clock()));
    }
    expect(limiter.currentPerMinute()).toBe(20);
  });

  it('recovers additively after a cut, to 90 % of the rate that drew it, and later to the ceiling', () => {
    const time = createFakeTime(now);
    const limiter = createRateLimiter({ perMinute: 600, time });
    time.advance(1000);
    limiter.observe({ sentAt: now + 1, status: 429 });
    expect(limiter.currentPerMinute()).toBe(300);
    const rates: number[] = [];
    for (let s = 0; s < 600; s += 5) {
      time.advance(5000);
      limiter.observe(ok(time.clock() - 100, 400));
      rates.push(limiter.currentPerMinute());
    }
    // +30 per 10 s, no jumps.
    for (let i = 1; i < rates.length; i++) {
      expect((rates[i] ?? 0) - (rates[i - 1] ?? 0)).toBeLessThanOrEqual(30);
    }
    expect(rates[20]).toBe(540);
    expect(Math.max(...rates.slice(0, 50))).toBe(540);
    expect(rates.at(-1)).toBe(600);
  });

  it('ends a stated limit when a reply shows a bigger bucket (credit topped up)', () => {
    const time = createFakeTime(now);
    const warnings: string[] = [];
    const limiter = createRateLimiter({ perMinute: 600, time, warn: (m) => warnings.push(m) });
    limiter.observe({ sentAt: now, status: 429, remaining: 0, stated: { perMinute: 6, burst: 1 } });
    time.advance(20_000);
    limiter.observe(ok(time.clock(), 598));
    expect(limiter.state().stated).toBeUndefined();
    expect(warnings.at(-1)).toContain('back to normal');
    expect(limiter.currentPerMinute()).toBeCloseTo(35.7, 9);
    time.advance(5_000);
    limiter.observe(ok(time.clock(), 590));
    expect(limiter.currentPerMinute()).toBeCloseTo(35.7, 9);
    time.advance(5_000);
    limiter.observe(ok(time.clock(), 590));
    expect(limiter.currentPerMinute()).toBeCloseTo(65.7, 9);
  });
});

describe('readers of what the service says', () => {
  it('reads the ratelimit headers and the limit a low-credit 429 names', () => {
    expect(readRateHeaders(new Headers({ 'ratelimit-remaining': '599', 'ratelimit-reset': '1' }))).toEqual({
      remaining: 599,
      resetMs: 1000,
    });
    expect(readRateHeaders(new Headers({ 'ratelimit-remaining': 'x' }))).toEqual({});
    expect(
      parseStatedLimit(
        'Request was throttled. Your rate limit for creating predictions is reduced to 6 requests per minute ' +
          'with a burst of 1 requests while you have less than $5.0 in credit. Your rate limit resets in ~5s.',
      ),
    ).toEqual({ perMinute: 6, burst: 1 });
    expect(parseStatedLimit('limited to 1 request per second')).toEqual({ perMinute: 60 });
    expect(parseStatedLimit('Request was throttled. Your rate limit resets in ~30s.')).toBeUndefined();
  });
});

/**
 * `workers` tasks take `creates` creates from a shared list, through the limiter, against the fake's
 * buckets: a request reaches the server `latencyMs` after it left, a 429 comes back as fast, an accepted
 * create is held `holdMs` (`Prefer: wait`). The refused create is retried after max(retry_after, backoff).
 */
async function simulate(options: {
  limits: RateLimits;
  creates: number;
  workers: number;
  perMinute?: number;
  latencyMs?: number;
  holdMs?: number;
  /** Called on the server side before the bucket: a fault to answer instead (status, tokens left). */
  fault?: (n: number) => 429 | 503 | undefined;
  /** Changes the server's limits after this many accepted creates. */
  change?: { after: number; limits: RateLimits };
}) {
  const clock = createManualClock(now);
  const server = createServerLimits(createScaledClock(clock, 1), options.limits);
  const time = { clock: () => clock.now(), sleep: (ms: number) => clock.sleep(ms) };
  const limiter: RateLimiter = createRateLimiter({ perMinute: options.perMinute ?? 600, time });
  const latency = options.latencyMs ?? 40;
  const result = {
    throttled: 0,
    faults: 0,
    accepted: [] as number[],
    minRate: Number.POSITIVE_INFINITY,
    /** The rate after each reply. */
    rates: [] as number[],
  };
  let next = 0;
  let requests = 0;
  const one = async (): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      await limiter.acquire();
      const sentAt = clock.now();
      await clock.sleep(latency);
      const fault = options.fault?.(requests++);
      const { headers, throttled } = server.take('create');
      const h = new Headers(headers);
      if (fault === undefined && throttled === undefined) {
        result.accepted.push(clock.now());
        if (options.change && result.accepted.length === options.change.after)
          server.set(options.change.limits);
        await clock.sleep(options.holdMs ?? 4000);
        limiter.observe({ sentAt, status: 201, ...readRateHeaders(h) });
        result.minRate = Math.min(result.minRate, limiter.currentPerMinute());
        result.rates.push(limiter.currentPerMinute());
        return;
      }
      await clock.sleep(latency);
      let retryAfterMs: number | undefined = 1000;
      if (fault === 503) {
        result.faults++;
        limiter.observe({ sentAt, status: 503, ...readRateHeaders(h) });
      } else {
        if (fault === 429) result.faults++;
        else result.throttled++;
        const text =
          throttled?.kind === 'body' && fault === undefined ? throttled.body.toString() : '{"retry_after":1}';
        retryAfterMs = parseRetryAfter(h, text, clock.now());
        const stated = parseStatedLimit(detailFromBody(text));
        limiter.observe({ sentAt, status: 429, ...readRateHeaders(h), retryAfterMs, stated });
      }
      result.minRate = Math.min(result.minRate, limiter.currentPerMinute());
      result.rates.push(limiter.currentPerMinute());
      await clock.sleep(
        Math.max(
          retryAfterMs ?? 0,
          backoffDelay(attempt, () => 0.5),
        ),
      );
    }
  };
  const worker = async (): Promise<void> => {
    while (next < options.creates) {
      next++;
      await one();
    }
  };
  let done = false;
  const all = Promise.all(Array.from({ length: options.workers }, worker)).then(() => {
    done = true;
  });
  while (!done) await clock.advance(250);
  await all;
  return { ...result, elapsedMs: clock.now() - now, limiter };
}

describe('rate limiter against the fake’s buckets (closed loop, fake clock)', () => {
  it('a low-credit account (6/min, burst 1) with 16 tasks waiting draws no 429: the probe shows it', async () => {
    const run = await simulate({ limits: { lowCredit: true }, creates: 30, workers: 16 });
    expect(run.accepted).toHaveLength(30);
    expect(run.throttled).toBe(0);
    // It settles at the stated rate: 30 creates in about 29 gaps of 10.5 s, not slower.
    expect(run.elapsedMs).toBeLessThan(29 * 10_600 + 10_000);
    expect(run.minRate).toBeCloseTo(5.7, 5);
  });

  it('10 % passing 429s and 5 % 503s at the default limit never cut the rate', async () => {
    const run = await simulate({
      limits: {},
      creates: 900,
      workers: 32,
      fault: (n) => (n % 10 === 3 ? 429 : n % 20 === 7 ? 503 : undefined),
    });
    expect(run.accepted).toHaveLength(900);
    expect(run.faults).toBeGreaterThan(100);
    expect(run.throttled).toBe(0);
    expect(run.minRate).toBe(600);
  });

  it('an unstated lower limit (60/min) is found in a few 429s and then held without sawing', async () => {
    const run = await simulate({ limits: { create: 60, createBurst: 10 }, creates: 600, workers: 32 });
    expect(run.accepted).toHaveLength(600);
    const late = run.accepted.filter((t) => t > now + run.elapsedMs / 2).length;
    // The second half runs at least at 80 % of the true limit …
    expect(late).toBeGreaterThan(((run.elapsedMs / 2) * 0.8 * 60) / 60_000);
    // … and nearly all 429s happened while finding it.
    expect(run.throttled).toBeLessThan(15);
  });

  it('after credit is topped up the rate climbs back gradually, without new 429s', async () => {
    const run = await simulate({
      limits: { lowCredit: true },
      creates: 1500,
      workers: 32,
      change: { after: 5, limits: {} },
    });
    expect(run.accepted).toHaveLength(1500);
    expect(run.throttled).toBeLessThanOrEqual(2);
    const after = run.rates.slice(5);
    for (let i = 1; i < after.length; i++) {
      const step = (after[i] ?? 0) - (after[i - 1] ?? 0);
      expect(step).toBeGreaterThanOrEqual(0);
      expect(step).toBeLessThanOrEqual(30 + 1e-9);
    }
    expect(run.limiter.currentPerMinute()).toBe(600);
  });
});
