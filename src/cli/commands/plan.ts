import { relative } from 'node:path';
import type { LocalUpscalerName } from '../../api/options.js';
import { planRecipes } from '../../api/plan.js';
import { formatUsd } from '../../plan/cost.js';
import type { PlanSummary } from '../../plan/summary.js';
import type { CommandOutput } from '../command-output.js';
import { EXIT } from '../exit-codes.js';
import { providerName, replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';

export interface PlanCommandOptions extends RecipeLimitFlags {
  provider?: string;
  localUpscaler?: LocalUpscalerName;
  maxCost?: number;
  cacheDir: string;
  lock?: string;
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
  for (const budget of summary.budgets) {
    const what = budget.scope === 'recipe' ? `recipe ${budget.recipe}` : '--max-cost';
    lines.push(
      `budget ${what}: ${formatUsd(budget.maxUsd)} (Replicate estimate ${formatUsd(budget.estimatedUsd)}${budget.exceeded ? ', exceeded' : ''})`,
    );
  }
  return lines;
}

/**
 * `assetgen plan <files…>`: what a run would do and cost; runs nothing. Exit 3 when a paid run would be
 * refused over budget (offline, a budget the Replicate estimate exceeds is a warning).
 */
export async function planCommand(
  files: readonly string[],
  options: PlanCommandOptions,
  output: CommandOutput,
): Promise<number> {
  const { io } = output;
  const report = await planRecipes(files, {
    cwd: io.cwd,
    cacheDir: options.cacheDir,
    replicate: replicateOptions({}, io),
    ...recipeLimits(options),
    ...(options.provider === undefined ? {} : { provider: providerName(options.provider) }),
    ...(options.localUpscaler === undefined ? {} : { localUpscaler: options.localUpscaler }),
    ...(options.maxCost === undefined ? {} : { maxUsd: options.maxCost }),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
  });
  output.plan(report);
  for (const line of formatSummary(report.summary)) io.out(line);
  for (const { message, location } of report.warnings) {
    const where =
      location === undefined
        ? ''
        : `${relative(io.cwd, location.file)}:${location.line}:${location.column}  `;
    io.out(`${where}warning: ${message}`);
  }
  if (report.overBudget !== null) {
    io.err(`error: ${report.overBudget.message}`);
    return EXIT.overBudget;
  }
  return EXIT.ok;
}
