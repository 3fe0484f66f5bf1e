import { relative } from 'node:path';
import type { LocalUpscalerName } from '../../api/options.js';
import { planRecipes } from '../../api/plan.js';
import type { PriceOrigin } from '../../models/prices.js';
import { formatUsd } from '../../plan/cost.js';
import type { ShardSpec } from '../../plan/shard.js';
import type { PlanSummary } from '../../plan/summary.js';
import { cacheOptions } from '../cache-options.js';
import type { CommandOutput } from '../command-output.js';
import { EXIT } from '../exit-codes.js';
import { providerName, replicateOptions } from '../library-options.js';
import { type RecipeLimitFlags, recipeLimits } from '../option-parsers.js';

export interface PlanCommandOptions extends RecipeLimitFlags {
  provider?: string;
  localUpscaler?: LocalUpscalerName;
  maxCost?: number;
  cacheDir: string;
  /** `--cache s3://…`: the shared cache behind the folder. */
  cache?: string;
  lock?: string;
  shard?: ShardSpec;
}

const runs = (count: number | undefined): string => `${count ?? 0} past run${count === 1 ? '' : 's'}`;

/** The price column: where a model's price came from. */
export function describePriceOrigin(price: PriceOrigin): string {
  switch (price.source) {
    case 'catalog':
      return `catalog: ${price.url?.replace(/^https:\/\//, '')}, read ${price.read}`;
    case 'recipe':
      return price.runs === undefined ? 'recipe' : `recipe, run time from ${runs(price.runs)}`;
    case 'history': {
      const of =
        price.version === null || price.version === undefined ? '' : ` of ${price.version.slice(0, 12)}`;
      return `history: ${runs(price.runs)}${of}`;
    }
    default:
      return 'none';
  }
}

export function formatSummary(summary: PlanSummary): string[] {
  const shard =
    summary.shard === undefined ? '' : ` (shard ${summary.shard.index} of ${summary.shard.count})`;
  const lines = [
    `plan${shard}: ${summary.recipes} recipe${summary.recipes === 1 ? '' : 's'}, ${summary.assets} assets, ${summary.tasks} tasks, ${summary.outputFiles} output files (provider: ${summary.provider})`,
    `  ${'model'.padEnd(34)} ${'tasks'.padStart(6)} ${'cached'.padStart(7)} ${'est. USD'.padStart(10)}  price from`,
  ];
  for (const model of summary.models) {
    lines.push(
      `  ${model.model.padEnd(34)} ${String(model.tasks).padStart(6)} ${String(model.cached).padStart(7)} ${formatUsd(model.estimatedUsd).padStart(10)}  ${describePriceOrigin(model.price)}`,
    );
  }
  lines.push(
    `  ${'image steps (local)'.padEnd(34)} ${String(summary.imageTasks).padStart(6)} ${''.padStart(7)} ${'$0'.padStart(10)}`,
  );
  const identical = summary.models.reduce((sum, model) => sum + model.identical, 0);
  if (identical > 0)
    lines.push(
      `  ${identical} task${identical === 1 ? ' is' : 's are'} identical to another: each runs once and is estimated once`,
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
    ...cacheOptions(options.cache, io),
    ...recipeLimits(options),
    ...(options.provider === undefined ? {} : { provider: providerName(options.provider) }),
    ...(options.localUpscaler === undefined ? {} : { localUpscaler: options.localUpscaler }),
    ...(options.maxCost === undefined ? {} : { maxUsd: options.maxCost }),
    ...(options.lock === undefined ? {} : { lock: options.lock }),
    ...(options.shard === undefined ? {} : { shard: options.shard }),
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
