import { resolve } from 'node:path';
import { BudgetError } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import type { Plan } from '../../plan/plan.js';
import type { PlanSummary } from '../../plan/summary.js';
import { type LockFileContent, lockTaskId, readLock } from '../../store/lock.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';
import {
  type CachedSteps,
  checkBudget,
  chooseProvider,
  loadPlan,
  lockPathFor,
  probeCache,
} from '../session.js';

export interface PlanCommandOptions {
  json?: boolean;
  provider?: string;
  maxCost?: number;
  cacheDir: string;
  lock?: string;
}

/** Official models have no versions: a task of one that ran before (it is in the lock) may now differ. */
function officialRerunWarnings(plan: Plan, lock: LockFileContent, isCached: CachedSteps): string[] {
  const counts = new Map<string, number>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps) {
        if (step.kind !== 'model' || step.catalog?.official !== true || isCached(asset.key, step.id))
          continue;
        if (lock.tasks[lockTaskId(asset.key, step.id)] === undefined) continue;
        counts.set(step.model, (counts.get(step.model) ?? 0) + 1);
      }
  return [...counts].map(
    ([model, count]) =>
      `${count} task${count === 1 ? '' : 's'} of ${model} will re-run: official models have no version pin, so results may differ from the locked ones`,
  );
}

export function formatSummary(summary: PlanSummary): string[] {
  const lines = [
    `plan: ${summary.recipes} recipe${summary.recipes === 1 ? '' : 's'}, ${summary.assets} assets, ${summary.tasks} tasks, ${summary.outputFiles} output files (provider: ${summary.provider})`,
    `  ${'model'.padEnd(34)} ${'tasks'.padStart(6)} ${'cached'.padStart(7)} ${'est. USD'.padStart(10)}`,
  ];
  for (const model of summary.models) {
    lines.push(
      `  ${model.model.padEnd(34)} ${String(model.tasks).padStart(6)} ${String(model.cached).padStart(7)} ${formatUsd(model.estimatedUsd).padStart(10)}`,
    );
  }
  lines.push(
    `  ${'image steps (local)'.padEnd(34)} ${String(summary.imageTasks).padStart(6)} ${''.padStart(7)} ${'$0'.padStart(10)}`,
  );
  const total = `estimated cost: ${formatUsd(summary.estimatedUsd)}`;
  lines.push(
    summary.paid
      ? total
      : `${total} with the local provider (on Replicate: ${formatUsd(summary.replicateUsd)})`,
  );
  if (summary.maxUsd !== undefined) lines.push(`budget: ${formatUsd(summary.maxUsd)}`);
  return lines;
}

/** `assetgen plan <files…>`: what a run would do and cost; runs nothing. Exit 3 when over budget. */
export async function planCommand(
  files: readonly string[],
  options: PlanCommandOptions,
  io: CliIO,
): Promise<number> {
  const plan = await loadPlan(files, io.cwd);
  const choice = chooseProvider(options.provider, io);
  const lock = await readLock(lockPathFor(plan, options.lock, io.cwd));
  const isCached = await probeCache(plan, choice, resolve(io.cwd, options.cacheDir), lock);
  let summary: PlanSummary;
  let overBudget: BudgetError | undefined;
  try {
    summary = checkBudget(plan, choice, options.maxCost, isCached);
  } catch (error) {
    if (!(error instanceof BudgetError)) throw error;
    overBudget = error;
    summary = checkBudget(plan, { ...choice, paid: false }, undefined, isCached);
    summary = { ...summary, paid: true, estimatedUsd: summary.replicateUsd };
  }
  const warnings = choice.paid ? officialRerunWarnings(plan, lock, isCached) : [];
  if (options.json === true) {
    io.out(JSON.stringify({ ...summary, warnings, overBudget: overBudget?.message ?? null }, null, 2));
  } else {
    for (const line of formatSummary(summary)) io.out(line);
    for (const warning of warnings) io.out(`warning: ${warning}`);
  }
  if (overBudget !== undefined) {
    io.err(`error: ${overBudget.message}`);
    return EXIT.overBudget;
  }
  return EXIT.ok;
}
