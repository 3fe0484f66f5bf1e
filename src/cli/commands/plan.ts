import { BudgetError } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import type { PlanSummary } from '../../plan/summary.js';
import { EXIT } from '../exit-codes.js';
import type { CliIO } from '../output.js';
import { checkBudget, chooseProvider, loadPlan } from '../session.js';

export interface PlanCommandOptions {
  json?: boolean;
  provider?: string;
  maxCost?: number;
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
  const plan = await loadPlan(files);
  const choice = chooseProvider(options.provider, io);
  let summary: PlanSummary;
  let overBudget: BudgetError | undefined;
  try {
    summary = checkBudget(plan, choice, options.maxCost);
  } catch (error) {
    if (!(error instanceof BudgetError)) throw error;
    overBudget = error;
    summary = checkBudget(plan, { ...choice, paid: false }, undefined);
    summary = { ...summary, paid: true, estimatedUsd: summary.replicateUsd };
  }
  if (options.json === true)
    io.out(JSON.stringify({ ...summary, overBudget: overBudget?.message ?? null }, null, 2));
  else for (const line of formatSummary(summary)) io.out(line);
  if (overBudget !== undefined) {
    io.err(`error: ${overBudget.message}`);
    return EXIT.overBudget;
  }
  return EXIT.ok;
}
