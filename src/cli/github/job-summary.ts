/**
 * The Markdown job summary of one command (appended to `$GITHUB_STEP_SUMMARY`): the outcome, counts,
 * cost against the estimate and every budget, failed assets with their reasons — for `--frozen` and
 * `check`, what would have to run — recipe problems and warnings. Long lists stop at 50 rows.
 */
import type { LocatedWarning } from '../../api/budget-check.js';
import type { PlanReport } from '../../api/plan.js';
import type { RunReport } from '../../api/run.js';
import type { ValidRecipe } from '../../api/validate.js';
import type { RecipeProblem, SourceLocation } from '../../errors.js';
import { formatUsd } from '../../plan/cost.js';
import type { BudgetStatus, PlanSummary } from '../../plan/summary.js';
import type { CommandName } from '../command-output.js';
import { EXIT } from '../exit-codes.js';

export interface JobState {
  command: CommandName;
  /** A path as the workspace sees it. */
  where: (file: string) => string;
  problems: RecipeProblem[];
  warnings: LocatedWarning[];
  recipes?: readonly ValidRecipe[];
  plan?: PlanReport;
  run?: RunReport;
  error?: unknown;
}

const ROWS = 50;

/** A table cell: no pipes or line breaks leak into the table. */
const cell = (text: string): string =>
  text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, '<br>');
const code = (text: string): string => `\`${text.replace(/`/g, "'")}\``;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

function table(header: string[], align: string[], rows: string[][]): string[] {
  const shown = rows.slice(0, ROWS);
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${align.join(' | ')} |`,
    ...shown.map((row) => `| ${row.join(' | ')} |`),
  ];
  if (rows.length > ROWS) lines.push('', `… and ${rows.length - ROWS} more`);
  return [...lines, ''];
}

export function jobSummary(state: JobState, exitCode: number): string {
  const command = state.run?.mode === 'frozen' ? 'run --frozen' : state.command;
  const lines = [
    `### ${exitCode === EXIT.ok ? '✅' : '❌'} assetgen ${command}: ${headline(state, exitCode)}`,
    '',
  ];
  const at = (location: SourceLocation | undefined) =>
    location === undefined ? '' : `${state.where(location.file)}:${location.line}`;
  if (state.error !== undefined && state.problems.length === 0) {
    const message = state.error instanceof Error ? state.error.message : String(state.error);
    lines.push(`> ${cell(message)}`, '');
  }
  if (state.problems.length > 0) {
    lines.push(
      ...table(
        ['where', 'path', 'problem'],
        ['---', '---', '---'],
        state.problems.map((p) => [
          `${cell(state.where(p.location.file))}:${p.location.line}:${p.location.column}`,
          p.path === '' ? '(recipe)' : code(p.path),
          cell(p.message),
        ]),
      ),
    );
  }
  if (state.recipes !== undefined && state.recipes.length > 0) {
    lines.push(
      ...table(
        ['recipe', 'file', 'assets', 'instances'],
        ['---', '---', '---:', '---:'],
        state.recipes.map((r) => [
          code(r.name),
          cell(state.where(r.file)),
          String(r.assets),
          String(r.instances),
        ]),
      ),
    );
  }
  if (state.plan !== undefined) lines.push(...planSection(state.plan.provider.reason, state.plan.summary));
  if (state.run !== undefined) lines.push(...runSection(state.run, at));
  if (state.warnings.length > 0) {
    lines.push(`**Warnings** (${state.warnings.length})`, '');
    for (const warning of state.warnings.slice(0, ROWS)) {
      const where = at(warning.location);
      lines.push(`- ${cell(warning.message)}${where === '' ? '' : ` (${cell(where)})`}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}

function headline(state: JobState, exitCode: number): string {
  const { run } = state;
  if (exitCode === EXIT.invalid)
    return state.problems.length > 0
      ? `invalid, ${plural(state.problems.length, 'problem')}`
      : 'invalid usage';
  if (exitCode === EXIT.overBudget) return 'over budget, nothing was run';
  if (exitCode === EXIT.interrupted) return 'interrupted';
  if (run !== undefined) {
    const notMade = run.problems.length;
    if (notMade > 0)
      return run.mode === 'run'
        ? `${plural(notMade, 'asset')} not made`
        : `${plural(notMade, 'asset')} would have to run or failed`;
    return run.mode === 'check'
      ? 'cache and lock match the recipes'
      : `${plural(run.made + run.cached, 'asset')} ok`;
  }
  if (exitCode !== EXIT.ok) return 'failed';
  if (state.recipes !== undefined) return `${plural(state.recipes.length, 'recipe')} valid`;
  return 'ok';
}

function planSection(reason: string, summary: PlanSummary): string[] {
  const lines = [
    `Provider ${code(summary.provider)} (${cell(reason)}): ${plural(summary.assets, 'asset')}, ${plural(summary.tasks, 'task')}, ${plural(summary.outputFiles, 'output file')}.`,
    '',
    ...table(
      ['model', 'tasks', 'cached', 'on Replicate'],
      ['---', '---:', '---:', '---:'],
      summary.models.map((m) => [
        code(m.model),
        String(m.tasks),
        String(m.cached),
        formatUsd(m.estimatedUsd),
      ]),
    ),
    `Estimated cost: **${formatUsd(summary.estimatedUsd)}**${summary.paid ? '' : ` offline (on Replicate: ${formatUsd(summary.replicateUsd)})`}.`,
    '',
  ];
  return [...lines, ...budgetTable(summary.budgets)];
}

function runSection(run: RunReport, at: (location: SourceLocation | undefined) => string): string[] {
  const { estimate } = run;
  const lines = [
    `Provider ${code(run.provider.name)} (${cell(run.provider.reason)}), mode ${code(run.mode)}, ${(run.durationMs / 1000).toFixed(1)} s.`,
    '',
    ...table(
      ['made', 'cached', 'failed', 'skipped', 'spent', 'estimated', 'on Replicate'],
      ['---:', '---:', '---:', '---:', '---:', '---:', '---:'],
      [
        [
          String(run.made),
          String(run.cached),
          String(run.failed),
          String(run.skipped),
          formatUsd(run.spentUsd),
          formatUsd(estimate.estimatedUsd),
          formatUsd(estimate.replicateUsd),
        ],
      ],
    ),
    ...budgetTable(estimate.budgets),
  ];
  const failures = run.problems.filter((problem) => problem.status !== 'cancelled');
  if (failures.length > 0) {
    const title =
      run.mode === 'run'
        ? 'Failed assets'
        : `Would have to run or failed (${run.mode === 'check' ? '`check`' : '`--frozen`'}: nothing was created or written)`;
    lines.push(
      `**${title}** (${failures.length})`,
      '',
      ...table(
        ['asset', 'recipe', 'reason'],
        ['---', '---', '---'],
        failures.map((p) => [
          code(p.asset),
          cell(at(p.location)),
          cell(`${p.status === 'skipped' ? 'skipped: ' : ''}${p.error}`),
        ]),
      ),
    );
  }
  return lines;
}

function budgetTable(budgets: readonly BudgetStatus[]): string[] {
  if (budgets.length === 0) return [];
  return table(
    ['budget', 'limit', 'Replicate estimate', ''],
    ['---', '---:', '---:', '---'],
    budgets.map((b) => [
      b.scope === 'recipe' ? `recipe ${code(b.recipe ?? '')}` : code('--max-cost'),
      formatUsd(b.maxUsd),
      formatUsd(b.estimatedUsd),
      b.exceeded ? '**exceeded**' : 'within',
    ]),
  );
}
