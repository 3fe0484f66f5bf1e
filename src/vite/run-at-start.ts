/**
 * The plugin's `run:` option: recipes run through the library's `runRecipes` before the manifest is
 * read — offline (`provider: 'local'`) unless the caller names another provider. A run that does not
 * finish (recipe problems, a failed asset, over budget) throws, naming what went wrong.
 */
import type { AssetgenViteRun } from './types.js';

export async function runAtStart(run: AssetgenViteRun, root: string, out: string): Promise<void> {
  const { recipes, ...options } = run;
  // Loaded only when asked for: reading a manifest needs none of the runner.
  const { runRecipes } = await import('../api/run.js');
  const report = await runRecipes(recipes, {
    ...options,
    provider: options.provider ?? 'local',
    cwd: root,
    out,
  });
  if (report.status === 'ok') return;
  const problems = report.problems.map(
    (problem) =>
      `  ${problem.location.file}:${problem.location.line}:${problem.location.column}  ${problem.asset}: ${problem.error}`,
  );
  throw new Error(`the recipes did not run to the end (${report.status}):\n${problems.join('\n')}`);
}
