/**
 * Simulated time for the Replicate provider, matching the fake's `timeScale`: its clock runs 1/scale
 * times faster than the wall clock and its sleeps are scaled down, so polling gaps, backoff and the
 * create rate limiter behave as they would against the real service at full size.
 */
import { realSleep } from '../../src/providers/replicate/retry.js';

export interface ScaledTime {
  clock: () => number;
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** `origin`: where simulated and wall time agree (default now); share it with a fake on `clockOrigin`. */
export function createScaledTime(timeScale: number, origin = Date.now()): ScaledTime {
  return {
    clock: () => origin + (Date.now() - origin) / timeScale,
    sleep: (ms, signal) => realSleep(ms * timeScale, signal),
  };
}
