/**
 * Expands validated recipes into a plan: every asset instance (asset × variant) with its chain of steps
 * (model steps with rendered input, seed and price; image steps with operations) and its output files.
 * Pure: reads nothing, spends nothing. The runner executes a plan; `plan` prints it.
 */

import { lazyList } from '../lazy-list.js';
import type { Catalog, CatalogModel, Pricing } from '../models/catalog.js';
import { parseModelRef } from '../models/catalog.js';
import { takesImageList } from '../models/model-kinds.js';
import type { PriceHistory } from '../models/price-history.js';
import { declaredPrice, type PriceOrigin, priceWithHistory } from '../models/prices.js';
import type { ProvenanceLevel } from '../provenance/xmp.js';
import type { AssetInstance, LoadedRecipe, OutputFormatName, TemplateValue } from '../recipe/index.js';
import {
  listInstances,
  outputFormatName,
  outputImageStep,
  renderDeep,
  renderOutputPath,
  stepCatalogModel,
  templateVariables,
  upstreamImageStep,
} from '../recipe/index.js';
import type { AssetgenRecipe, Format, Operation, Output, Step } from '../recipe/recipe-types.generated.js';
import { estimateUsd } from './cost.js';
import { localFileInputs } from './local-files.js';
import { type QualityGates, resolveGates } from './quality-gates.js';
import { deriveSeed } from './seeds.js';

export interface PlannedModelStep {
  kind: 'model';
  id: string;
  /** `owner/name` */
  model: string;
  /** Version from the recipe (`owner/name:version`); community models without one are resolved at run time. */
  version?: string;
  /** The deployment (`owner/name`) it runs through; `model`/`version` are its release's. */
  deployment?: string;
  catalog?: CatalogModel;
  pricing?: Pricing;
  /** Rendered input with schema defaults and seed; strings naming `steps.<id>.text` stay templates. */
  input: Record<string, unknown>;
  /**
   * The input field that receives the upstream image, and the step it comes from; `list`: the field takes
   * a list of images and the upstream one goes first (before the files the recipe lists there).
   */
  imageInput?: { field: string; fromStep: string; list?: boolean };
  /** Local files the input names (in file inputs), replaced by their content at run time (local-inputs.ts). */
  localFiles?: LocalFileInput[];
  /** Text steps whose result this step's input uses. */
  textFrom: string[];
  seed?: number;
  /** Estimated USD on Replicate; null when unknown. */
  estimatedUsd: number | null;
  /** Where the price came from (catalog page and date, recipe, history and its runs), or why there is none. */
  price: PriceOrigin;
  /** Whether this step yields text (language model) rather than images. */
  yieldsText: boolean;
  /** The checks its result must pass (plan/quality-gates.ts), and how many more tries a failure gets. */
  gates: QualityGates;
  /** A retry after a failed gate (1 = the second try): part of the task key; absent for the first try. */
  attempt?: number;
}

/** A local file at `input[field]` (or `input[field][index]` in a list), absolute. */
export interface LocalFileInput {
  field: string;
  index?: number;
  path: string;
}

export interface PlannedImageStep {
  kind: 'image';
  id: string;
  fromStep: string;
  operations: Operation[];
}

export type PlannedStep = PlannedModelStep | PlannedImageStep;

/** Where a step stands in its asset's chain (0-based), also for a retry's copy of a model step. */
export function stepPosition(asset: PlannedAsset, step: PlannedStep): number {
  return asset.steps.findIndex((candidate) => candidate.id === step.id);
}

export interface PlannedOutputFile {
  /** Path relative to the run's output directory (recipe folder included). */
  path: string;
  /** Which image of the source step (0-based). */
  image: number;
  width?: number;
  format: OutputFormatName;
}

export interface PlannedOutput {
  index: number;
  fromStep: string;
  format: Format;
  operations: Operation[];
  /** The recipe's output: paths that use step texts (`{{ steps.<id>.text }}`) are rendered at run time. */
  spec: Output;
  /** Whether the path waits for step texts. */
  pathNeedsText: boolean;
  files: PlannedOutputFile[];
}

export interface PlannedAsset {
  /** Unique in the plan: `recipe/asset[/variant]`. */
  key: string;
  /** Its position among the recipe's assets (in the whole plan, also when a shard runs only some). */
  index: number;
  recipe: string;
  instance: AssetInstance;
  steps: PlannedStep[];
  outputs: PlannedOutput[];
  /** The recipe's `provenance` level: what the output files embed as XMP. */
  provenance: ProvenanceLevel;
  /** The recipe's `alt:` template, rendered by the runner once the asset's steps ran. */
  alt?: string;
  /** The profile the recipe was planned with (its lock entries carry it). */
  profile?: string;
}

export interface PlannedRecipe {
  loaded: LoadedRecipe;
  name: string;
  /** Folder inside the output directory. */
  outputFolder: string;
  assets: PlannedAsset[];
  /** How many assets the whole recipe has (a shard's plan holds only some of them). */
  assetCount: number;
  maxUsd?: number;
  /** The profile applied (`--profile`); absent: the recipe as written. */
  profile?: string;
}

export interface Plan {
  recipes: PlannedRecipe[];
  /** Set when the plan is one shard's part of a bigger one (plan/shard.ts). */
  shard?: { index: number; count: number };
}

const STEP_TEXT = /^steps\.([^.]+)\.text$/;

function stepTextsUsed(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') {
    for (const name of templateVariables(value)) {
      const match = STEP_TEXT.exec(name);
      if (match?.[1] !== undefined) found.add(match[1]);
    }
  } else if (Array.isArray(value)) {
    for (const item of value) stepTextsUsed(item, found);
  } else if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) stepTextsUsed(item, found);
  }
}

/** Renders templates, leaving strings that need a step's text for the runner. */
function renderKnown(value: unknown, vars: Readonly<Record<string, TemplateValue>>): unknown {
  if (typeof value === 'string') {
    const texts = new Set<string>();
    stepTextsUsed(value, texts);
    return texts.size > 0 ? value : renderDeep(value, vars);
  }
  if (Array.isArray(value)) return value.map((item) => renderKnown(item, vars));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, renderKnown(item, vars)]));
  }
  return value;
}

function imageCount(step: PlannedStep | undefined): number {
  if (step?.kind !== 'model') return 1;
  const count = step.input.num_outputs;
  return typeof count === 'number' && count > 1 ? count : 1;
}

function planModelStep(
  step: Step,
  index: number,
  recipe: AssetgenRecipe,
  instance: AssetInstance,
  catalog: Catalog,
  dir: string,
): PlannedModelStep {
  const ref = parseModelRef(step.model ?? '');
  const model = ref === undefined ? (step.model ?? '') : `${ref.owner}/${ref.name}`;
  const entry = stepCatalogModel(step, catalog);
  const { pricing, origin } = declaredPrice(model, step.price, entry);
  const input = renderKnown(step.input ?? {}, instance.vars) as Record<string, unknown>;

  let seed: number | undefined;
  const schemaProperties = entry?.inputSchema.properties as Record<string, unknown> | undefined;
  if (schemaProperties !== undefined && 'seed' in schemaProperties) {
    if (typeof input.seed === 'number') seed = input.seed;
    else if (typeof instance.vars.seed === 'number') seed = instance.vars.seed;
    else seed = deriveSeed([recipe.name, instance.assetId, instance.variantLabel, step.id]);
    input.seed = seed;
  }

  let imageInput: PlannedModelStep['imageInput'];
  const field = entry?.imageInput;
  const list = entry !== undefined && field !== undefined && takesImageList(entry, field);
  // A list input the recipe fills takes the upstream image too when `from:` names it.
  if (field !== undefined && (input[field] === undefined || (list && step.from !== undefined))) {
    const upstream = upstreamImageStep(recipe, index, catalog);
    if (upstream !== undefined) imageInput = { field, fromStep: upstream.id, ...(list ? { list } : {}) };
  }
  const localFiles = entry === undefined ? [] : localFileInputs(entry, input, dir);
  const texts = new Set<string>();
  stepTextsUsed(input, texts);

  const planned: PlannedModelStep = {
    kind: 'model',
    id: step.id,
    model,
    input,
    textFrom: [...texts],
    estimatedUsd: estimateUsd(pricing, input),
    price: origin,
    yieldsText: entry?.kind === 'text',
    gates: resolveGates(entry?.kind ?? 'text-to-image', recipe.checks, step.checks),
  };
  if (ref?.version !== undefined) planned.version = ref.version;
  if (step.deployment !== undefined) planned.deployment = step.deployment;
  if (entry !== undefined) planned.catalog = entry;
  if (pricing !== undefined) planned.pricing = pricing;
  if (imageInput !== undefined) planned.imageInput = imageInput;
  if (localFiles.length > 0) planned.localFiles = localFiles;
  if (seed !== undefined) planned.seed = seed;
  return planned;
}

function planOutput(
  output: Output,
  index: number,
  recipe: AssetgenRecipe,
  outputFolder: string,
  instance: AssetInstance,
  planned: readonly PlannedStep[],
  catalog: Catalog,
): PlannedOutput {
  const fromStep = outputImageStep(recipe, output, catalog)?.id ?? '';
  const name = outputFormatName(output) ?? 'png';
  const format: Format = output.format ?? name;
  const count = imageCount(planned.find((step) => step.id === fromStep));
  const widths: (number | undefined)[] = output.widths ?? [undefined];
  const texts = new Set<string>();
  stepTextsUsed(output.path, texts);
  const files: PlannedOutputFile[] = [];
  for (let image = 0; image < count; image++) {
    for (const width of widths) {
      const options = width === undefined ? { n: image + 1 } : { n: image + 1, width };
      const path = texts.size > 0 ? output.path : renderOutputPath(output, instance, options);
      const file: PlannedOutputFile = { path: `${outputFolder}/${path}`, image, format: name };
      if (width !== undefined) file.width = width;
      files.push(file);
    }
  }
  return {
    index,
    fromStep,
    format,
    operations: output.image ?? [],
    spec: output,
    pathNeedsText: texts.size > 0,
    files,
  };
}

/**
 * The plan of the recipes. Each recipe's `assets` is a lazy list (src/lazy-list.ts): an asset is planned when
 * it is read — its templates rendered, seed fixed, price estimated — so a plan holds 8 bytes an instance,
 * and a reader (the runner, a summary) holds only those it is looking at.
 */
export function createPlan(recipes: readonly LoadedRecipe[], catalog: Catalog): Plan {
  return {
    recipes: recipes.map((loaded) => {
      const { recipe } = loaded;
      const outputFolder = (recipe.output ?? recipe.name).replace(/\/+$/, '');
      const instances = listInstances(recipe);
      const planAsset = (assetIndex: number): PlannedAsset => {
        const instance = instances.at(assetIndex);
        const steps: PlannedStep[] = recipe.steps.map((step, index) =>
          step.image !== undefined
            ? {
                kind: 'image',
                id: step.id,
                fromStep: upstreamImageStep(recipe, index, catalog)?.id ?? '',
                operations: step.image,
              }
            : planModelStep(step, index, recipe, instance, catalog, loaded.dir),
        );
        const outputs = recipe.outputs.map((output, index) =>
          planOutput(output, index, recipe, outputFolder, instance, steps, catalog),
        );
        const key = [recipe.name, instance.assetId, instance.variantLabel].filter(Boolean).join('/');
        const planned: PlannedAsset = {
          key,
          index: assetIndex,
          recipe: recipe.name,
          instance,
          steps,
          outputs,
          provenance: recipe.provenance ?? 'ids',
        };
        if (recipe.alt !== undefined) planned.alt = recipe.alt;
        if (loaded.profile !== undefined) planned.profile = loaded.profile;
        return planned;
      };
      const planned: PlannedRecipe = {
        loaded,
        name: recipe.name,
        outputFolder,
        assets: lazyList(instances.length, planAsset),
        assetCount: instances.length,
      };
      if (loaded.profile !== undefined) planned.profile = loaded.profile;
      if (recipe.budget !== undefined) planned.maxUsd = recipe.budget.max_usd;
      return planned;
    }),
  };
}

/** The models whose steps have no estimate from a recipe or published price: history may price them. */
export function modelsNeedingHistory(plan: Plan): Set<string> {
  const models = new Set<string>();
  for (const recipe of plan.recipes)
    for (const asset of recipe.assets)
      for (const step of asset.steps)
        if (step.kind === 'model' && step.estimatedUsd === null) models.add(step.model);
  return models;
}

/**
 * The plan with the steps that have no estimate priced from the project's history: a new plan whose
 * assets are priced as they are made (the plan given is left as it was).
 */
export function applyPriceHistory(plan: Plan, history: PriceHistory): Plan {
  const priced = (asset: PlannedAsset): PlannedAsset => {
    for (const step of asset.steps) {
      if (step.kind !== 'model' || step.estimatedUsd !== null) continue;
      const result = priceWithHistory(step, step.price, history);
      step.estimatedUsd = result.estimatedUsd;
      step.price = result.origin;
      if (result.pricing !== undefined) step.pricing = result.pricing;
    }
    return asset;
  };
  return {
    ...plan,
    recipes: plan.recipes.map((recipe) => {
      const { assets } = recipe;
      return { ...recipe, assets: lazyList(assets.length, (index) => priced(assets[index] as PlannedAsset)) };
    }),
  };
}
