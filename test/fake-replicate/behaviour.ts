/**
 * Per-model behaviour: defaults, server-wide settings and per-model overrides merged, and the plan
 * decided for one prediction at creation (cold boot or not, run time with jitter, failure).
 */
import type { ModelBehaviour } from './types.js';

export const DEFAULT_BEHAVIOUR = {
  runMs: 20,
  jitterMs: 0,
  startingMs: 0,
  coldStartMs: 0,
  coldStart: 'first',
  finalizeMs: 0,
  logSteps: 4,
} as const satisfies ModelBehaviour;

export interface PredictionPlan {
  startingMs: number;
  cold: boolean;
  runMs: number;
  finalizeMs: number;
  logSteps: number;
  /** Error text when this prediction is to fail. */
  failWith?: string;
  outputCount?: number;
}

export interface BehaviourBook {
  set(ref: string, behaviour: ModelBehaviour): void;
  get(ref: string): ModelBehaviour;
  /** Decides how one new prediction of `ref` will run (counts it). */
  plan(ref: string, input: Record<string, unknown>): PredictionPlan;
  /** Makes the model's next prediction boot cold again. */
  resetColdStart(ref: string): void;
}

/** mulberry32: a small seeded generator, one per server. */
function createRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createBehaviourBook(
  global: ModelBehaviour = {},
  perModel: Record<string, ModelBehaviour> = {},
  seed = 1,
): BehaviourBook {
  const overrides = new Map(Object.entries(perModel));
  const created = new Map<string, number>();
  const warm = new Set<string>();
  const random = createRandom(seed);
  const get = (ref: string): ModelBehaviour => ({ ...DEFAULT_BEHAVIOUR, ...global, ...overrides.get(ref) });
  return {
    set(ref, behaviour) {
      overrides.set(ref, { ...overrides.get(ref), ...behaviour });
    },
    get,
    resetColdStart: (ref) => warm.delete(ref),
    plan(ref, input) {
      const b = get(ref);
      const n = (created.get(ref) ?? 0) + 1;
      created.set(ref, n);
      const cold = b.coldStart === 'always' || (b.coldStart === 'first' && !warm.has(ref));
      warm.add(ref);
      const jitter = (b.jitterMs ?? 0) * (random() * 2 - 1);
      const plan: PredictionPlan = {
        startingMs: (b.startingMs ?? 0) + (cold ? (b.coldStartMs ?? 0) : 0),
        cold,
        runMs: Math.max(0, (b.runMs ?? 0) + jitter),
        finalizeMs: b.finalizeMs ?? 0,
        logSteps: Math.max(1, b.logSteps ?? 4),
      };
      const f = b.failure;
      const fails =
        f !== undefined &&
        (f.always === true ||
          (f.everyNth !== undefined && f.everyNth > 0 && n % f.everyNth === 0) ||
          (f.when?.(input) ?? false));
      if (fails) plan.failWith = f?.error ?? 'Prediction failed: the fake model was told to fail (E9999)';
      if (b.outputCount !== undefined) plan.outputCount = b.outputCount;
      return plan;
    },
  };
}
