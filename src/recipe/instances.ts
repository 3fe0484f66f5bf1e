/**
 * Asset instances: every asset once per combination of variant values (the cartesian product, in recipe
 * order: assets outermost, then the first variant, …, the last variant changing fastest). An asset with a
 * `pick` makes only the combinations that have the picked values. Validation and the planner both expand
 * through here.
 */
import type { AssetgenRecipe } from './recipe-types.generated.js';
import { renderTemplate, slugify, type TemplateValue } from './templates.js';

export interface AssetInstance {
  assetId: string;
  /** This combination's variant values (empty when the recipe has no variants). */
  variant: Record<string, TemplateValue>;
  /** A label of the combination, e.g. `seed-11` or `seed-11_size-large`; `''` without variants. */
  variantLabel: string;
  /** Merged: recipe vars < asset variables < variant values, plus built-ins id, recipe, variant. */
  vars: Record<string, TemplateValue>;
}

/** Variables every instance has. */
export const BUILTIN_VARIABLES = ['id', 'recipe', 'variant'] as const;
/** Variables only output paths have. */
export const OUTPUT_VARIABLES = ['width', 'format', 'ext', 'n'] as const;
/** Names recipes may not use for their own variables (`id` is allowed on assets only). */
export const RESERVED_VARIABLES: readonly string[] = [...BUILTIN_VARIABLES, ...OUTPUT_VARIABLES, 'steps'];

/** The template variable that holds a text step's result. */
export function stepTextVariable(stepId: string): string {
  return `steps.${stepId}.text`;
}

/**
 * Renders a text of the asset as a whole (the recipe's `alt:`) with the instance's variables and the
 * results of its text steps (validation guarantees every variable exists).
 */
export function renderAssetText(
  template: string,
  instance: AssetInstance,
  stepTexts: Readonly<Record<string, string>>,
): string {
  const vars: Record<string, TemplateValue> = { ...instance.vars };
  for (const [id, text] of Object.entries(stepTexts)) vars[stepTextVariable(id)] = text;
  return renderTemplate(template, vars);
}

/** Every combination of variant values, in order (one empty combination without variants). */
export function variantCombinations(
  variants: Readonly<Record<string, readonly TemplateValue[] | undefined>> | undefined,
): Record<string, TemplateValue>[] {
  let combinations: Record<string, TemplateValue>[] = [{}];
  for (const [name, values] of Object.entries(variants ?? {})) {
    if (!Array.isArray(values) || values.length === 0) continue;
    combinations = combinations.flatMap((combination) =>
      values.map((value) => ({ ...combination, [name]: value })),
    );
  }
  return combinations;
}

export function variantLabel(variant: Readonly<Record<string, TemplateValue>>): string {
  return Object.entries(variant)
    .map(([name, value]) => `${name}-${slugify(String(value)) || 'x'}`)
    .join('_');
}

/** Whether a combination has every value of a pick (`{ seed: 42 }`); no pick matches every combination. */
export function matchesPick(
  variant: Readonly<Record<string, TemplateValue>>,
  pick: Readonly<Record<string, TemplateValue | undefined>> | undefined,
): boolean {
  if (pick === undefined || pick === null || typeof pick !== 'object') return true;
  return Object.entries(pick).every(([name, value]) => variant[name] === value);
}

/** A recipe's instances by position, each made when asked for: 8 bytes per instance until then. */
export interface InstanceList {
  readonly length: number;
  /** The instance at `index` (0-based, in expansion order); a new object on every call. */
  at(index: number): AssetInstance;
}

export function listInstances(recipe: AssetgenRecipe): InstanceList {
  const combinations = variantCombinations(recipe.variants);
  const labels = combinations.map(variantLabel);
  const assets = recipe.assets.filter(
    (asset): asset is Exclude<typeof asset, null> => typeof asset === 'object' && asset !== null,
  );
  // (asset, combination) of each instance, two 32-bit indexes.
  const pairs: number[] = [];
  for (const [a, asset] of assets.entries())
    for (const [c, variant] of combinations.entries()) if (matchesPick(variant, asset.pick)) pairs.push(a, c);
  const places = Uint32Array.from(pairs);
  return {
    length: places.length / 2,
    at(index) {
      const asset = assets[places[2 * index] as number];
      const c = places[2 * index + 1] as number;
      const variant = combinations[c];
      if (asset === undefined || variant === undefined) throw new RangeError(`no instance ${index}`);
      const label = labels[c] as string;
      const vars: Record<string, TemplateValue> = {};
      for (const source of [recipe.vars ?? {}, asset, variant]) {
        for (const [name, value] of Object.entries(source)) {
          if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
            vars[name] = value;
        }
      }
      vars.id = asset.id;
      vars.recipe = recipe.name;
      vars.variant = label;
      return { assetId: asset.id, variant, variantLabel: label, vars };
    },
  };
}

export function expandInstances(recipe: AssetgenRecipe): AssetInstance[] {
  const list = listInstances(recipe);
  return Array.from({ length: list.length }, (_, index) => list.at(index));
}

/** `mug` or `mug (seed-11)`, for messages. */
export function describeInstance(instance: AssetInstance): string {
  return instance.variantLabel === '' ? instance.assetId : `${instance.assetId} (${instance.variantLabel})`;
}
