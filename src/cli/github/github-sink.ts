/**
 * GitHub Actions (`GITHUB_ACTIONS=true`): every recipe problem and every asset that failed becomes an
 * `::error` annotation at its line in the recipe, warnings become `::warning`, and at the end a Markdown
 * job summary is appended to `$GITHUB_STEP_SUMMARY`. Paths are relative to `GITHUB_WORKSPACE` (else the
 * working folder), as the annotations need them.
 */
import { appendFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import { AssetgenError, BudgetError, formatProblem, RecipeError, type SourceLocation } from '../../errors.js';
import type { CommandName, CommandSink } from '../command-output.js';
import { type CliIO, redact, secretsOf } from '../output.js';
import { type JobState, jobSummary } from './job-summary.js';
import { type Annotation, formatAnnotation } from './workflow-commands.js';

/** How the title says an asset was not made, per mode. */
const NOT_MADE = { run: 'failed', frozen: 'not restored', check: 'not verified' } as const;

export function createGithubSink(io: CliIO, command: CommandName): CommandSink {
  const root = io.env.GITHUB_WORKSPACE || io.cwd;
  const workspacePath = (file: string): string => relative(root, resolve(file)).split(sep).join('/');
  const at = (location: SourceLocation | undefined): Partial<Annotation> =>
    location === undefined
      ? {}
      : { file: workspacePath(location.file), line: location.line, col: location.column };
  const annotate = (annotation: Annotation) => io.err(formatAnnotation(annotation));
  const state: JobState = { command, problems: [], warnings: [], where: workspacePath };
  const warn = (text: string, location?: SourceLocation) => {
    // A recipe warning's message starts with its own `file:line:column  `; the annotation has it apart.
    const prefix = location === undefined ? '' : `${location.file}:${location.line}:${location.column}  `;
    const message = prefix !== '' && text.startsWith(prefix) ? text.slice(prefix.length) : text;
    state.warnings.push({ message, ...(location === undefined ? {} : { location }) });
    annotate({ level: 'warning', title: `assetgen ${command}`, message, ...at(location) });
  };

  return {
    recipes(recipes) {
      state.recipes = recipes;
      for (const recipe of recipes)
        for (const warning of recipe.warnings) warn(formatProblem(warning), warning.location);
    },
    plan(report) {
      state.plan = report;
      for (const warning of report.warnings) warn(warning.message, warning.location);
      if (report.overBudget !== null) {
        const { message, location } = report.overBudget;
        annotate({ level: 'error', title: 'assetgen plan: over budget', message, ...at(location) });
      }
    },
    event(event) {
      if (event.type === 'warning') warn(event.message, event.location);
    },
    run(report) {
      state.run = report;
      for (const problem of report.problems) {
        if (problem.status === 'cancelled') continue;
        annotate({
          level: problem.status === 'failed' ? 'error' : 'warning',
          title: `assetgen ${report.mode}: ${problem.asset} ${problem.status === 'skipped' ? 'skipped' : NOT_MADE[report.mode]}`,
          message: problem.error,
          ...at(problem.location),
        });
      }
    },
    failed(error) {
      state.error = error;
      if (error instanceof RecipeError) {
        state.problems.push(...error.problems);
        for (const problem of error.problems) {
          const where = problem.path === '' ? '' : `${problem.path}: `;
          annotate({
            level: 'error',
            title: 'assetgen: invalid recipe',
            message: `${where}${problem.message}`,
            ...at(problem.location),
          });
        }
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const title = error instanceof BudgetError ? `assetgen ${command}: over budget` : `assetgen ${command}`;
      const location = error instanceof BudgetError ? error.location : undefined;
      annotate({
        level: 'error',
        title,
        message: error instanceof AssetgenError ? message : `${message} (this is a bug in assetgen)`,
        ...at(location),
      });
    },
    async finish(exitCode) {
      const file = io.env.GITHUB_STEP_SUMMARY;
      if (!file) return;
      try {
        // Written to a file, not through `io`: scrubbed of secrets here.
        await appendFile(file, redact(jobSummary(state, exitCode), secretsOf(io.env)));
      } catch (error) {
        io.err(
          `warning: cannot append the job summary to ${file} (${(error as NodeJS.ErrnoException).code ?? error})`,
        );
      }
    },
  };
}
