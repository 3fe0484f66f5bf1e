/**
 * `pickVariant`: what `assetgen pick` does, as a function. Pins an asset of a recipe file to one variant
 * (`pick: { seed: 42 }`) or clears it (`values: null`), after checking that every value is one of the
 * variant's; the file is validated in full and written atomically, or not at all. Throws UsageError for an
 * unknown asset, variant or value (with a suggestion), RecipeError when the result would be invalid.
 */
import { resolve } from 'node:path';
import { createCatalog } from '../models/catalog.js';
import { type PickValues, pickInFile } from '../recipe/index.js';
import type { TemplateValue } from '../recipe/templates.js';

export interface PickVariantOptions {
  /** Folder that a relative recipe path resolves against. Default: `process.cwd()`. */
  cwd?: string;
}

export interface PickReport {
  /** Absolute path of the recipe file. */
  file: string;
  assetId: string;
  /** The pick before and after; undefined: none (every variant runs). */
  before: Record<string, TemplateValue> | undefined;
  after: Record<string, TemplateValue> | undefined;
  /** Whether the file was written (false: it already said so). */
  changed: boolean;
  /** Variant combinations the asset makes now, of how many the recipe has. */
  combinations: number;
  totalCombinations: number;
}

export async function pickVariant(
  recipe: string,
  assetId: string,
  values: PickValues | null,
  options: PickVariantOptions = {},
): Promise<PickReport> {
  const file = resolve(options.cwd ?? process.cwd(), recipe);
  const result = await pickInFile(file, assetId, values, { catalog: createCatalog(), name: recipe });
  const { before, after, changed, combinations, totalCombinations } = result;
  return { file, assetId, before, after, changed, combinations, totalCombinations };
}
