import { UsageError } from '../../errors.js';
import { readLock, writeLock } from '../../store/lock.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';
import { chooseProvider, createProvider, loadPlan, lockPathFor } from '../session.js';

export interface UpdateCommandOptions {
  model?: string[];
  lock?: string;
  baseUrl?: string;
}

/** `assetgen update <files…> [--model m…]`: re-resolve community models' latest versions into the lock. */
export async function updateCommand(
  files: readonly string[],
  options: UpdateCommandOptions,
  io: CliIO,
): Promise<number> {
  const plan = await loadPlan(files, io.cwd);
  const choice = chooseProvider('replicate', io);
  const provider = await createProvider(choice, options, io);
  const lockPath = lockPathFor(plan, options.lock, io.cwd);
  const lock = await readLock(lockPath);
  const models = new Set<string>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps)
        if (step.kind === 'model' && step.version === undefined && step.catalog?.official !== true)
          models.add(step.model);
  const wanted = options.model ?? [...models];
  for (const model of wanted) {
    if (!models.has(model))
      throw new UsageError(`${model} is not a community model used without a version in these recipes`);
  }
  const controller = new AbortController();
  let changed = 0;
  try {
    for (const model of [...wanted].sort()) {
      const latest = (await provider.resolveVersion?.(model, controller.signal)) ?? null;
      const before = lock.models[model]?.version ?? null;
      if (before === latest) {
        io.out(`${model}: ${latest ?? 'no version'} (unchanged)`);
        continue;
      }
      lock.models[model] = { version: latest, official: false };
      changed++;
      io.out(`${model}: ${before ?? 'unpinned'} → ${latest ?? 'no version'}`);
    }
  } finally {
    await provider.close?.();
  }
  if (changed > 0) await writeLock(lockPath, lock);
  io.out(
    changed > 0 ? `updated ${changed} pin${changed === 1 ? '' : 's'} in ${lockPath}` : 'all pins are current',
  );
  return EXIT.ok;
}
