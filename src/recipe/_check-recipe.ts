/**
 * Rules for the recipe as a whole: asset ids, variable names that clash with built-ins, the output
 * folder, and overlay files named by composite operations.
 */
import { checkLocalFile } from './_check-files.js';
import { type CheckContext, listAt } from './_context.js';
import { isRecord, type PathSegment } from './_paths.js';
import { RESERVED_VARIABLES } from './instances.js';
import { relativePathProblem } from './outputs.js';
import { hasTemplate } from './templates.js';

export function checkRecipe(context: CheckContext): void {
  checkAssets(context);
  checkVariableNames(context);
  checkOutputFolder(context);
  checkCompositeFiles(context);
}

function checkAssets(context: CheckContext): void {
  const first = new Map<string, number>();
  listAt(context.data, 'assets').forEach((asset, index) => {
    if (!isRecord(asset) || typeof asset.id !== 'string') return;
    const earlier = first.get(asset.id);
    if (earlier === undefined) first.set(asset.id, index);
    else
      context.problems.add(
        ['assets', index, 'id'],
        `duplicate asset id "${asset.id}" (assets[${earlier}] has it already)`,
      );
    for (const key of Object.keys(asset)) {
      if (key !== 'id' && RESERVED_VARIABLES.includes(key)) reserved(context, ['assets', index, key]);
    }
  });
}

function checkVariableNames(context: CheckContext): void {
  for (const section of ['vars', 'variants'] as const) {
    const values = context.data[section];
    if (!isRecord(values)) continue;
    for (const key of Object.keys(values)) {
      if (key === 'id' || RESERVED_VARIABLES.includes(key)) reserved(context, [section, key]);
    }
  }
}

function reserved(context: CheckContext, segments: PathSegment[]): void {
  const name = String(segments.at(-1));
  const what = name === 'id' ? 'the asset id' : 'a built-in variable';
  context.problems.add(segments, `"${name}" is ${what} and cannot be set here; rename it`, { at: 'key' });
}

function checkOutputFolder(context: CheckContext): void {
  const folder = context.data.output;
  if (typeof folder !== 'string' || context.problems.hasAtOrBelow(['output'])) return;
  if (hasTemplate(folder)) {
    context.problems.add(['output'], 'templates are not expanded in the output folder; name one folder');
    return;
  }
  const problem = relativePathProblem(folder);
  if (problem !== undefined)
    context.problems.add(['output'], problem.replace('output folder', 'output directory'));
}

function checkCompositeFiles(context: CheckContext): void {
  for (const section of ['steps', 'outputs'] as const) {
    listAt(context.data, section).forEach((owner, index) => {
      if (!isRecord(owner)) return;
      const operations = owner.image;
      if (!Array.isArray(operations)) return;
      operations.forEach((operation, opIndex) => {
        const composite = isRecord(operation) ? operation.composite : undefined;
        const file = isRecord(composite) ? composite.image : undefined;
        const at = [section, index, 'image', opIndex, 'composite', 'image'];
        if (typeof file !== 'string' || file === '' || context.problems.hasAtOrBelow(at)) return;
        checkLocalFile(context, at, file);
      });
    });
  }
}
