/**
 * `--json`: the command as newline-delimited JSON on stdout — one object per line, each with the events'
 * format version `v` and a `type`, the last one always a `summary` (also on failure, with the outcome
 * and the exit code). Run events are the library's own (src/run/events.ts); the rest are the command's:
 * `problem`, `recipe`, `plan`, `asset-planned`, `error`, `summary`. schema/events.schema.json describes
 * every line (`assetgen schema events`).
 */

import type { AssetProblem, RunReport } from '../api/run.js';
import { AssetgenError, BudgetError, formatProblem, RecipeError } from '../errors.js';
import type { BudgetStatus } from '../plan/summary.js';
import { EVENTS_VERSION } from '../run/events.js';
import type { CommandName, CommandSink } from './command-output.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './output.js';

export type Outcome = 'ok' | 'failed' | 'invalid' | 'over-budget' | 'cancelled' | 'error';

/** The last line of every `--json` command. */
export interface SummaryLine {
  type: 'summary';
  command: CommandName;
  outcome: Outcome;
  exitCode: number;
  /** Recipe problems reported (validation). */
  problems: number;
  warnings: number;
  /** The error that ended the command, when one did. */
  error?: { code: string; message: string };
  provider?: string;
  estimatedUsd?: number | null;
  replicateUsd?: number | null;
  budgets?: BudgetStatus[];
  /** `validate`: recipes checked. */
  recipes?: number;
  /** `run`/`check`: */
  mode?: RunReport['mode'];
  made?: number;
  cached?: number;
  failed?: number;
  skipped?: number;
  spentUsd?: number;
  durationMs?: number;
  manifest?: string | null;
  /** Assets that were not made, and why (for `--frozen`/`check`: what would have to run). */
  failures?: AssetProblem[];
}

export function outcomeOf(exitCode: number, error: unknown): Outcome {
  if (exitCode === EXIT.ok) return 'ok';
  if (exitCode === EXIT.invalid) return 'invalid';
  if (exitCode === EXIT.overBudget) return 'over-budget';
  if (exitCode === EXIT.interrupted) return 'cancelled';
  return error === undefined || error instanceof AssetgenError ? 'failed' : 'error';
}

export function createJsonSink(io: CliIO, command: CommandName): CommandSink {
  const write = (line: { type: string; [field: string]: unknown }) =>
    io.out(JSON.stringify({ v: EVENTS_VERSION, ...line }));
  const summary: SummaryLine = {
    type: 'summary',
    command,
    outcome: 'ok',
    exitCode: 0,
    problems: 0,
    warnings: 0,
  };
  let error: unknown;
  return {
    recipes(recipes) {
      for (const { file, name, assets, instances, warnings } of recipes) {
        write({ type: 'recipe', file, name, assets, instances });
        for (const warning of warnings)
          write({ type: 'warning', message: formatProblem(warning), location: warning.location });
        summary.warnings += warnings.length;
      }
      summary.recipes = recipes.length;
    },
    plan(report) {
      const { provider, summary: plan } = report;
      write({
        type: 'plan',
        provider: provider.name,
        paid: provider.paid,
        reason: provider.reason,
        summary: plan,
        overBudget: report.overBudget,
        lockPath: report.lockPath,
        cacheDir: report.cacheDir,
      });
      for (const asset of report.assets) write({ type: 'asset-planned', ...asset });
      for (const warning of report.warnings) write({ type: 'warning', ...warning });
      summary.warnings += report.warnings.length;
      Object.assign(summary, {
        provider: provider.name,
        estimatedUsd: plan.estimatedUsd,
        replicateUsd: plan.replicateUsd,
        budgets: plan.budgets,
      });
    },
    event(event) {
      if (event.type === 'warning') summary.warnings++;
      write(event);
    },
    run(report) {
      Object.assign(summary, {
        provider: report.provider.name,
        estimatedUsd: report.estimate.estimatedUsd,
        replicateUsd: report.estimate.replicateUsd,
        budgets: report.estimate.budgets,
        mode: report.mode,
        made: report.made,
        cached: report.cached,
        failed: report.failed,
        skipped: report.skipped,
        spentUsd: report.spentUsd,
        durationMs: report.durationMs,
        manifest: report.manifestPath,
        failures: report.problems,
      });
    },
    failed(thrown) {
      error = thrown;
      if (thrown instanceof RecipeError) {
        for (const problem of thrown.problems) write({ type: 'problem', ...problem });
        summary.problems += thrown.problems.length;
        return;
      }
      const line = errorLine(thrown);
      write({ type: 'error', ...line });
      summary.error = { code: line.code, message: line.message };
    },
    finish(exitCode) {
      write({ ...summary, outcome: outcomeOf(exitCode, error), exitCode });
    },
  };
}

function errorLine(error: unknown): {
  code: string;
  message: string;
  estimatedUsd?: number | null;
  maxUsd?: number;
} {
  if (error instanceof BudgetError) {
    const estimatedUsd = Number.isFinite(error.estimatedUsd) ? error.estimatedUsd : null;
    return { code: error.code, message: error.message, estimatedUsd, maxUsd: error.maxUsd };
  }
  if (error instanceof AssetgenError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) };
}

/** For argv errors (commander) of a `--json` command: its error and summary lines. */
export function writeUsageFailure(io: CliIO, command: CommandName, message: string): void {
  const sink = createJsonSink(io, command);
  sink.failed?.(new AssetgenError('USAGE', message));
  void sink.finish?.(EXIT.invalid);
}
