/**
 * Random transient faults for the fake (seeded, so a run can be repeated): a share of the API requests and
 * output downloads fails once — 503, a reset before or after the server acted, a truncated body, or a
 * passing 429 (`retry_after: 1`, with tokens left in the bucket) — split evenly between the five.
 */
import type {
  FaultSpec,
  FiredFault,
  RequestFault,
  RequestInfo,
  RequestKind,
} from '../../test/fake-replicate/index.js';
import type { FiredFaults, TransientFaults } from './protocol.js';

const KINDS: ReadonlySet<RequestKind> = new Set([
  'create',
  'get',
  'list',
  'cancel',
  'fileUpload',
  'download',
]);

const FAULTS: readonly RequestFault[] = [
  { type: 'status', status: 503 },
  { type: 'reset-before' },
  { type: 'reset-after' },
  { type: 'truncate' },
  { type: 'rate-limit', retryAfter: 1, header: false },
];

/** mulberry32: a small seeded generator. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function transientFaults(options: TransientFaults): FaultSpec[] {
  const random = seeded(options.seed);
  // One draw per request, shared by the five specs (each request is one object through the fault plan).
  const draws = new WeakMap<RequestInfo, number>();
  const draw = (request: RequestInfo): number => {
    let value = draws.get(request);
    if (value === undefined) {
      value = KINDS.has(request.kind) ? random() : 1;
      draws.set(request, value);
    }
    return value;
  };
  const share = options.rate / FAULTS.length;
  return FAULTS.map((fault, i) => ({
    on: 'any',
    times: Number.POSITIVE_INFINITY,
    fault,
    match: (request: RequestInfo) => {
      const value = draw(request);
      return value >= i * share && value < (i + 1) * share;
    },
  }));
}

/** Fired faults by kind: `503`, `reset-before`, `reset-after`, `truncate`, `429`. */
export function countFired(fired: readonly FiredFault[]): FiredFaults {
  const counts: FiredFaults = {};
  for (const f of fired) {
    const name = f.type === 'status' ? '503' : f.type === 'rate-limit' ? '429' : f.type;
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}
