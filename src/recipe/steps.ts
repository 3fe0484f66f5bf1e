/**
 * What a step is and where its image comes from. Text steps (kind `text`, from the catalog, the model's
 * fetched schema or the step's `kind:`) produce no image; image steps and every other model step do.
 */
import { type Catalog, type CatalogModel, parseModelRef } from '../models/catalog.js';
import type { AssetgenRecipe, Output, Step } from './recipe-types.generated.js';

/** `owner/name` of a model step (version dropped), or undefined for image steps and malformed refs. */
export function stepModelRef(step: Step): string | undefined {
  if (typeof step.model !== 'string') return undefined;
  const ref = parseModelRef(step.model);
  return ref === undefined ? undefined : `${ref.owner}/${ref.name}`;
}

/**
 * The catalog entry of a model step — a catalogued model, or one whose schema was fetched (looked up as
 * `owner/name:version` when the step names a version) — with the step's `image_input` and `kind` applied.
 */
export function stepCatalogModel(step: Step, catalog: Catalog): CatalogModel | undefined {
  const ref = typeof step.model === 'string' ? parseModelRef(step.model) : undefined;
  if (ref === undefined) return undefined;
  const name = `${ref.owner}/${ref.name}`;
  const model = catalog.get(ref.version === undefined ? name : `${name}:${ref.version}`);
  if (model === undefined || (step.image_input === undefined && step.kind === undefined)) return model;
  const changed: CatalogModel = { ...model };
  if (step.image_input !== undefined) changed.imageInput = step.image_input;
  if (step.kind !== undefined && (step.kind === 'text') !== (model.kind === 'text')) {
    changed.kind = step.kind === 'text' ? 'text' : 'text-to-image';
    changed.output = step.kind === 'text' ? 'text-tokens' : 'file-array';
  }
  return changed;
}

export function stepProducesText(step: Step, catalog: Catalog): boolean {
  return stepCatalogModel(step, catalog)?.kind === 'text';
}

export function stepProducesImage(step: Step, catalog: Catalog): boolean {
  if (step.model === undefined) return step.image !== undefined || step.deployment !== undefined;
  return !stepProducesText(step, catalog);
}

/**
 * The step a model step's image input / an image step takes its image from: `from:` if given (when that
 * earlier step makes an image), else the nearest earlier step that produces an image.
 */
export function upstreamImageStep(
  recipe: AssetgenRecipe,
  stepIndex: number,
  catalog: Catalog,
): Step | undefined {
  const step = recipe.steps[stepIndex];
  const earlier = recipe.steps.slice(0, Math.max(0, stepIndex));
  return pickSource(earlier, step?.from, catalog);
}

/** The step an output writes: its `from:` (when that step makes an image), else the last image-producing step. */
export function outputImageStep(recipe: AssetgenRecipe, output: Output, catalog: Catalog): Step | undefined {
  return pickSource(recipe.steps, output.from, catalog);
}

function pickSource(
  candidates: readonly Step[],
  from: string | undefined,
  catalog: Catalog,
): Step | undefined {
  if (from !== undefined) {
    const named = candidates.find((candidate) => candidate.id === from);
    return named !== undefined && stepProducesImage(named, catalog) ? named : undefined;
  }
  for (let i = candidates.length - 1; i >= 0; i--) {
    const candidate = candidates[i];
    if (candidate !== undefined && stepProducesImage(candidate, catalog)) return candidate;
  }
  return undefined;
}
