/**
 * The create limiter: finds the account's rate from what Replicate says, instead of guessing.
 *
 * Creates are paced by a token bucket (FIFO) under a sliding window that keeps every 60 s at the configured
 * ceiling (Replicate: 600/min; a second of slack for uneven arrival). Every reply to a create is observed
 * (the transport reports it, client.ts):
 *
 * - `ratelimit-remaining` / `ratelimit-reset` on any reply: our bucket never holds more than the server's
 *   (minus the creates sent since), and an empty one pauses creates until its next token. A small bucket
 *   (smaller than our burst) found empty tells its rate: `capacity` tokens per `reset` — the low-credit
 *   bucket shows `0` / `10` after one create, i.e. 6 a minute with a burst of 1.
 * - A 429 that names the limit (low credit: "reduced to 6 requests per minute with a burst of 1") sets the
 *   rate just under it (95 %; 5 % less for each 429 drawn at that pace, down to 80 %); that is the floor. Its `retry_after` pauses every create, not only the
 *   refused one, so one refusal does not become thirty.
 * - A 429 on an empty bucket that names no limit halves the rate — once per episode (only a create sent
 *   after the last cut can cut again), never below `minPerMinute` — and for five minutes the rate climbs
 *   back only to 90 % of the rate that drew it, so it settles under the limit instead of sawing across it.
 * - A 429 while the headers say tokens remain is not the account's limit (a passing fault): the refused
 *   create waits and retries, the rate stays.
 * - 5xx and network failures never touch the rate.
 * - Recovery is additive: after `RECOVERY_STEP_MS` without a 429, a twentieth of the ceiling more, up to the
 *   ceiling (or up to the stated limit while one holds; a reply showing a bigger bucket ends it).
 *
 * The run's first create is a probe: it goes without `Prefer: wait` (create.ts), so its answer comes at
 * once, and the other creates wait for that answer (or its failure) — it shows the account's bucket
 * before a second create leaves. Until a reply has shown the bucket, creates go one at a time at the
 * ceiling's pace. So a low-credit account draws one 429 at the start, not one per create already on its
 * way when the first refusal comes back.
 */
import type { TimeSource } from './retry.js';

/** One reply to a create, as the transport saw it. */
export interface RateObservation {
  /** Local clock when the create was sent. */
  sentAt: number;
  /** HTTP status; 0 when no answer came (network error). */
  status: number;
  /** `ratelimit-remaining`, when present. */
  remaining?: number | undefined;
  /** `ratelimit-reset`, in ms. */
  resetMs?: number | undefined;
  /** For a 429: how long the server asked to wait (`retry_after`, `Retry-After`). */
  retryAfterMs?: number | undefined;
  /** For a 429 that names the account's limit. */
  stated?: StatedLimit | undefined;
}

export interface StatedLimit {
  perMinute: number;
  burst?: number | undefined;
}

export interface RateLimiterOptions {
  /** The ceiling: creates per minute (Replicate's default 600). */
  perMinute: number;
  /** How many creates may go back to back (default: a tenth of a minute's worth, at least 1). */
  burst?: number;
  /** Never slower than this unless the server states a lower limit (default 6, Replicate's lowest). */
  minPerMinute?: number;
  time: Pick<TimeSource, 'clock' | 'sleep'>;
  /** Told when the pace changes for a reason the user should know. */
  warn?: (message: string) => void;
}

export interface RateLimiterState {
  perMinute: number;
  burst: number;
  pausedUntil: number;
  stated: StatedLimit | undefined;
}

export interface RateLimiter {
  /**
   * Resolves when a create may be sent (callers are served in arrival order); `probe`: this is the run's
   * first create, to be sent without `Prefer: wait` so that its answer (and the rate headers) come at once.
   */
  acquire(signal?: AbortSignal): Promise<{ probe: boolean }>;
  /** A reply to a create (any status). */
  observe(reply: RateObservation): void;
  /** Current rate in creates per minute. */
  currentPerMinute(): number;
  state(): RateLimiterState;
}

/** The minute window plus a second of slack: requests reach the server a little later than they leave. */
const WINDOW_MS = 61_000;
/**
 * A stated limit is followed at 95 % of it (the server's clock and ours drift apart by the network); each
 * 429 drawn while already following it takes 5 % more off, down to 80 %.
 */
const STATED_SHARE = 0.95;
const STATED_SHARE_MIN = 0.8;
export const RECOVERY_STEP_MS = 10_000;
/**
 * How long the other creates wait for the probe's answer at most (a failed probe releases them at once;
 * this is for one that hangs).
 */
export const PROBE_WAIT_MS = 30_000;
/** How long the rate that drew an unexplained 429 is remembered as too fast. */
const REMEMBER_MS = 5 * 60_000;

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { clock, sleep } = options.time;
  const ceiling = Math.max(1, options.perMinute);
  const fullBurst = Math.max(1, options.burst ?? Math.floor(ceiling / 10));
  const minRate = Math.min(ceiling, Math.max(0.1, options.minPerMinute ?? 6));
  let rate = ceiling;
  let burst = 1;
  let bucketSeen = false;
  let stated: StatedLimit | undefined;
  let tokens = 1;
  let last = clock();
  let pausedUntil = Number.NEGATIVE_INFINITY;
  let lastCut = Number.NEGATIVE_INFINITY;
  let tooFast = Number.POSITIVE_INFINITY;
  /** The largest bucket a reply has shown (remaining + 1). */
  let capacity = 0;
  let share = STATED_SHARE;
  let statedSince = Number.POSITIVE_INFINITY;
  let calmSince = clock();
  let queue: Promise<unknown> = Promise.resolve();
  let probeSentAt: number | undefined;
  let probeAnswered = false;
  let answerProbe: () => void = () => undefined;
  const probeAnswer = new Promise<void>((resolve) => {
    answerProbe = resolve;
  });
  // Send times, oldest first; the window is the last `ceiling` of them (from `oldest` on).
  const sent: number[] = [];
  let oldest = 0;

  const floor = (): number => (stated ? stated.perMinute * share : minRate);
  const cap = (): number => {
    if (stated) return stated.perMinute * share;
    return clock() < lastCut + REMEMBER_MS ? Math.min(ceiling, tooFast * 0.9) : ceiling;
  };
  const refill = (): void => {
    const now = clock();
    tokens = Math.min(burst, tokens + ((now - last) * rate) / 60_000);
    last = now;
  };
  const windowWait = (): number => {
    if (sent.length - oldest < ceiling) return 0;
    return Math.max(0, (sent[oldest] as number) + WINDOW_MS - clock());
  };
  const record = (): void => {
    sent.push(clock());
    if (sent.length - oldest > ceiling) oldest += 1;
    if (oldest > 4096 && oldest * 2 > sent.length) {
      sent.splice(0, oldest);
      oldest = 0;
    }
  };
  /** Creates sent after `time` (they may not be counted in a reply to a create sent at `time`). */
  const sentAfter = (time: number): number => {
    let n = 0;
    for (let i = sent.length - 1; i >= oldest && (sent[i] as number) > time; i--) n++;
    return n;
  };
  /** A refused create used no token on the server: it leaves the window (the latest send at or before it). */
  const forget = (sentAt: number): void => {
    for (let i = sent.length - 1; i >= oldest; i--) {
      if ((sent[i] as number) <= sentAt) {
        sent.splice(i, 1);
        return;
      }
    }
  };
  /** Waits for the probe's answer, or until `PROBE_WAIT_MS` after it left. */
  const awaitProbe = async (signal?: AbortSignal): Promise<void> => {
    const left = (probeSentAt ?? clock()) + PROBE_WAIT_MS - clock();
    if (probeAnswered || left <= 0) return;
    const stop = new AbortController();
    const timer = sleep(left, signal ? AbortSignal.any([signal, stop.signal]) : stop.signal).catch(
      (err: unknown) => {
        if (signal?.aborted) throw err;
      },
    );
    try {
      await Promise.race([probeAnswer, timer]);
    } finally {
      stop.abort();
    }
  };
  const take = async (signal?: AbortSignal): Promise<{ probe: boolean }> => {
    if (probeSentAt === undefined) {
      probeSentAt = clock();
      refill();
      tokens -= 1;
      record();
      return { probe: true };
    }
    await awaitProbe(signal);
    for (;;) {
      refill();
      const now = clock();
      const wait = Math.max(pausedUntil - now, windowWait());
      if (tokens >= 1 && wait <= 0) {
        tokens -= 1;
        record();
        return { probe: false };
      }
      const forToken = tokens >= 1 ? 0 : ((1 - tokens) * 60_000) / rate;
      await sleep(Math.ceil(Math.max(1, forToken, wait)), signal);
    }
  };
  /**
   * No create before `until`. `exact` (the server said when): the bucket holds one token then; otherwise at
   * most one.
   */
  const pause = (until: number, exact: boolean): void => {
    refill();
    if (until <= pausedUntil) return;
    pausedUntil = until;
    const atUntil = 1 - ((until - clock()) * rate) / 60_000;
    tokens = exact ? atUntil : Math.min(tokens, atUntil);
  };
  const setRate = (next: number): void => {
    refill();
    rate = Math.max(floor(), Math.min(cap(), next));
  };

  /**
   * Follows a limit the server named (`how`: in what words). The same limit again, in a 429 for a create
   * that left at its pace, widens the margin.
   */
  const adopt = (limit: StatedLimit, sentAt: number, how: string, refused: boolean): void => {
    const now = clock();
    const changed = stated?.perMinute !== limit.perMinute || stated?.burst !== limit.burst;
    if (changed) {
      share = STATED_SHARE;
      statedSince = now;
    } else if (refused && sentAt > statedSince) {
      // Refused although it left at the stated pace: the network's jitter is larger than our margin.
      share = Math.max(STATED_SHARE_MIN, share - 0.05);
      statedSince = now;
    }
    stated = limit;
    bucketSeen = true;
    burst = Math.max(1, Math.min(fullBurst, limit.burst ?? burst));
    setRate(limit.perMinute * share);
    if (changed) {
      const b = limit.burst === undefined ? '' : ` with a burst of ${limit.burst}`;
      const perMinute = Math.round(limit.perMinute * 100) / 100;
      options.warn?.(
        `replicate: ${how} ${perMinute} creates per minute${b} (low credit?); pacing creates to match`,
      );
    }
  };

  const onThrottled = (reply: RateObservation): void => {
    const now = clock();
    calmSince = now;
    forget(reply.sentAt);
    if (reply.stated) {
      adopt(reply.stated, reply.sentAt, 'Replicate limits this account to', true);
    } else if (reply.remaining !== undefined && reply.remaining > 0) {
      // Tokens left, yet refused: not the account's rate. The refused create retries on its own.
      return;
    } else if (reply.sentAt > lastCut) {
      const before = rate;
      tooFast = rate;
      lastCut = now;
      setRate(rate / 2);
      if (rate < before) {
        options.warn?.(
          `replicate: create limit reached (HTTP 429); pacing creates at ${Math.round(rate)} per minute`,
        );
      }
    }
    pause(now + (reply.retryAfterMs ?? reply.resetMs ?? 1000), true);
  };

  const onReply = (reply: RateObservation): void => {
    const now = clock();
    const { remaining } = reply;
    if (remaining !== undefined) {
      if (stated && remaining > (stated.burst ?? 1)) {
        // A bigger bucket than the stated one: the reduction is over (credit topped up).
        stated = undefined;
        share = STATED_SHARE;
        statedSince = Number.POSITIVE_INFINITY;
        options.warn?.('replicate: the account’s create limit is back to normal; speeding up gradually');
      }
      capacity = Math.max(capacity, remaining + 1);
      if (!bucketSeen || burst < fullBurst) {
        bucketSeen = true;
        burst = Math.max(burst, Math.min(fullBurst, remaining + 1));
      }
      // The server counted `remaining` when the create arrived (≈ sentAt); it has refilled since.
      refill();
      const refilled = ((now - reply.sentAt) * rate) / 60_000;
      tokens = Math.min(tokens, remaining + refilled - sentAfter(reply.sentAt));
      if (remaining === 0) {
        const resetMs = reply.resetMs ?? 1000;
        if (reply.resetMs !== undefined && capacity < fullBurst && stated === undefined) {
          // A small bucket, empty: it fills its `capacity` tokens in `resetMs` (low credit: 1 in 10 s).
          const limit = { perMinute: (60_000 * capacity) / resetMs, burst: capacity };
          adopt(limit, reply.sentAt, 'the rate headers show a limit of', false);
        }
        const perToken = stated ? 60_000 / rate : Math.min(resetMs, 60_000 / rate);
        pause(reply.sentAt + perToken, false);
      }
    }
    if (reply.status < 300 && rate < cap() && now - calmSince >= RECOVERY_STEP_MS) {
      calmSince = now;
      setRate(rate + ceiling / 20);
    }
  };

  return {
    acquire(signal) {
      const turn = queue.then(() => take(signal));
      queue = turn.catch(() => undefined);
      return turn;
    },
    observe(reply) {
      probeAnswered = true;
      answerProbe();
      if (reply.status === 0) return;
      if (reply.status === 429) onThrottled(reply);
      else onReply(reply);
    },
    currentPerMinute: () => rate,
    state: () => ({ perMinute: rate, burst, pausedUntil, stated }),
  };
}
