/**
 * `updatePins`: moves community models pinned in the lock to their latest version on Replicate (all
 * community models the recipes use without a version, or the ones named), then writes the lock.
 */
import { UsageError } from '../errors.js';
import { readLock, writeLock } from '../store/lock.js';
import type { RecipeLoadOptions, ReplicateOptions } from './options.js';
import { chooseProvider, createProvider } from './provider-choice.js';
import { loadPlan, lockPathFor } from './session.js';

export interface UpdatePinsOptions extends RecipeLoadOptions {
  cwd?: string;
  /** Only these `owner/name` models (each must be a community model used without a version). */
  models?: readonly string[];
  lock?: string;
  /** Needs `token`. */
  replicate?: ReplicateOptions;
  signal?: AbortSignal;
  onWarning?: (message: string) => void;
}

export interface PinChange {
  model: string;
  /** null: not pinned before. */
  before: string | null;
  /** null: the model has no version. */
  after: string | null;
}

export interface UpdateReport {
  lockPath: string;
  /** Every model looked at, in name order; `before === after` when unchanged. */
  pins: PinChange[];
  /** How many pins moved (the lock is written only when some did). */
  changed: number;
}

export async function updatePins(
  files: readonly string[],
  options: UpdatePinsOptions = {},
): Promise<UpdateReport> {
  const cwd = options.cwd ?? process.cwd();
  const plan = await loadPlan(files, cwd, options);
  const choice = chooseProvider('replicate', options.replicate);
  const lockPath = lockPathFor(plan, options.lock, cwd);
  const lock = await readLock(lockPath);
  const models = new Set<string>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps)
        if (step.kind === 'model' && step.version === undefined && step.catalog?.official !== true)
          models.add(step.model);
  const wanted = options.models ?? [...models];
  for (const model of wanted) {
    if (!models.has(model))
      throw new UsageError(`${model} is not a community model used without a version in these recipes`);
  }
  const provider = await createProvider(choice, options.replicate, options.onWarning ?? (() => {}));
  const signal = options.signal ?? new AbortController().signal;
  const pins: PinChange[] = [];
  try {
    for (const model of [...wanted].sort()) {
      const after = (await provider.resolveVersion?.(model, signal)) ?? null;
      const before = lock.models[model]?.version ?? null;
      pins.push({ model, before, after });
      if (before !== after) lock.models[model] = { version: after, official: false };
    }
  } finally {
    await provider.close?.();
  }
  const changed = pins.filter((pin) => pin.before !== pin.after).length;
  if (changed > 0) await writeLock(lockPath, lock);
  return { lockPath, pins, changed };
}
