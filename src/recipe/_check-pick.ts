/**
 * Rules for `pick` (the variant an asset is pinned to, written by `assetgen pick`): the recipe has
 * variants, every picked name is one of them and every picked value one of that variant's values.
 */
import { type CheckContext, listAt } from './_context.js';
import { isRecord } from './_paths.js';
import { closest, didYouMean, listOf } from './_suggest.js';
import type { TemplateValue } from './templates.js';

export function checkPicks(context: CheckContext): void {
  const variants = isRecord(context.data.variants) ? context.data.variants : {};
  listAt(context.data, 'assets').forEach((asset, index) => {
    if (!isRecord(asset) || !isRecord(asset.pick)) return;
    const at = ['assets', index, 'pick'];
    if (context.problems.hasAtOrBelow(at)) return;
    const names = Object.keys(variants);
    if (names.length === 0) {
      context.problems.add(
        at,
        'the recipe has no variants to pick from; remove pick (assetgen pick --clear) or add variants:',
        { at: 'key' },
      );
      return;
    }
    for (const [name, value] of Object.entries(asset.pick)) {
      const values = variants[name];
      if (!Array.isArray(values)) {
        context.problems.add(
          [...at, name],
          `"${name}" is not a variant${didYouMean(name, names)}; the variants are ${listOf(names)}`,
          { at: 'key' },
        );
        continue;
      }
      const problem = pickValueProblem(name, value as TemplateValue, values as TemplateValue[]);
      if (problem !== undefined) context.problems.add([...at, name], problem);
    }
  });
}

/** What is wrong with a picked value, or undefined when it is one of the variant's values. */
export function pickValueProblem(
  name: string,
  value: TemplateValue,
  values: readonly TemplateValue[],
): string | undefined {
  if (values.some((candidate) => candidate === value)) return undefined;
  const shown = values.map((candidate) => showValue(candidate));
  const sameText = values.find((candidate) => String(candidate) === String(value));
  const near = closest(String(value), values.map(String));
  const nearest = values.find((candidate) => String(candidate) === near);
  let hint = nearest === undefined ? '' : ` (did you mean ${showValue(nearest)}?)`;
  if (sameText !== undefined)
    hint =
      typeof sameText === 'string'
        ? ` (write ${showValue(sameText)} in quotes: the variant's values are text)`
        : ` (write ${showValue(sameText)} without quotes)`;
  return `expected one of ${listOf(shown)} (variants.${name}) but received ${showValue(value)}${hint}`;
}

/** `42`, `true` or `"ink wash"`: a value as it would be written in the recipe. */
export function showValue(value: TemplateValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
