/** Pass 1: the recipe's shape against schema/recipe.schema.json, in house wording. */
import { expected } from '../errors.js';
import { translateAjvErrors } from './_ajv-errors.js';
import { isRecord } from './_paths.js';
import type { ProblemSink } from './_problems.js';
import type { Validators } from './_validators.js';

/** Reports shape problems; returns the data when it is at least a mapping (later passes guard the rest). */
export function checkSchema(
  data: unknown,
  validators: Validators,
  problems: ProblemSink,
): Record<string, unknown> | undefined {
  if (data === null || data === undefined) {
    problems.add([], 'the recipe is empty; it needs name:, assets:, steps: and outputs:');
    return undefined;
  }
  if (!isRecord(data)) {
    problems.add([], expected('a mapping with name, assets, steps and outputs', 'the recipe', data));
    return undefined;
  }
  if (!validators.recipe(data)) {
    for (const error of translateAjvErrors(validators.recipe.errors ?? [], { data, base: [] })) {
      problems.add(error.segments, error.message, { at: error.at });
    }
  }
  return data;
}
