/**
 * Clocks for the fake. The server never calls setTimeout or Date.now directly: it sleeps and reads time
 * through a `FakeClock`, after multiplying simulated durations by `timeScale`.
 *
 * - `createWallClock()` — real time (the default); pair it with a small `timeScale` for fast tests.
 * - `createManualClock()` — time moves only when the test calls `advance(ms)`.
 */
import type { FakeClock } from './types.js';

export function createWallClock(): FakeClock {
  return {
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, ms));
        signal?.addEventListener('abort', done, { once: true });
      }),
  };
}

export interface ManualClock extends FakeClock {
  /**
   * Moves time forward, waking each sleeper in due order. Between wake-ups it lets the event loop run and
   * awaits `settle` (the fake passes one that waits for in-flight real work such as image making).
   */
  advance(ms: number, settle?: () => Promise<void>): Promise<void>;
  /** Number of sleepers not yet woken. */
  readonly pending: number;
}

interface Sleeper {
  at: number;
  seq: number;
  wake: () => void;
}

export function createManualClock(start = Date.UTC(2025, 0, 15, 12, 0, 0)): ManualClock {
  let now = start;
  let seq = 0;
  const sleepers: Sleeper[] = [];
  const remove = (sleeper: Sleeper) => {
    const index = sleepers.indexOf(sleeper);
    if (index >= 0) sleepers.splice(index, 1);
  };
  const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
  return {
    now: () => now,
    get pending() {
      return sleepers.length;
    },
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        if (signal?.aborted) return resolve();
        const sleeper: Sleeper = {
          at: now + Math.max(0, ms),
          seq: seq++,
          wake: () => {
            remove(sleeper);
            signal?.removeEventListener('abort', sleeper.wake);
            resolve();
          },
        };
        sleepers.push(sleeper);
        signal?.addEventListener('abort', sleeper.wake, { once: true });
      }),
    async advance(ms, settle) {
      const target = now + ms;
      await turn();
      await settle?.();
      for (;;) {
        const due = sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (due === undefined) break;
        now = Math.max(now, due.at);
        due.wake();
        // Let the woken task run (and maybe schedule further sleeps inside the window).
        await turn();
        await turn();
        await settle?.();
      }
      now = target;
      await turn();
    },
  };
}

/** The server's view of its clock: simulated durations scaled, plus an abortable sleep. */
export interface ScaledClock {
  now(): number;
  /** Sleeps `simulatedMs × timeScale` on the clock. */
  sleep(simulatedMs: number, signal?: AbortSignal): Promise<void>;
  /** Converts a real (clock) duration back to simulated ms. */
  toSimulated(clockMs: number): number;
  /** Converts a simulated duration to clock ms. */
  toClock(simulatedMs: number): number;
}

export function createScaledClock(clock: FakeClock, timeScale: number): ScaledClock {
  if (!(timeScale > 0)) throw new Error(`timeScale must be > 0, got ${timeScale}`);
  return {
    now: () => clock.now(),
    sleep: (ms, signal) => clock.sleep(ms * timeScale, signal),
    toSimulated: (ms) => ms / timeScale,
    toClock: (ms) => ms * timeScale,
  };
}

/** Counts in-flight real work (image making, input downloads) so a manual clock can wait for it. */
export interface BusyTracker {
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves once nothing is in flight. */
  idle(): Promise<void>;
}

export function createBusyTracker(): BusyTracker {
  let inFlight = 0;
  let waiters: Array<() => void> = [];
  return {
    track(work) {
      inFlight += 1;
      const done = () => {
        inFlight -= 1;
        if (inFlight > 0) return;
        const wake = waiters;
        waiters = [];
        for (const w of wake) w();
      };
      work.then(done, done);
      return work;
    },
    idle: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
