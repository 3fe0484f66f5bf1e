/**
 * Validation of one recipe text in three passes — shape (schema), normalisation (model inputs with their
 * defaults, per asset instance) and rules (references, templates, files, output paths) — collecting every
 * problem. Returns the validated recipe only when there is none.
 */
import type { RecipeProblem } from '../errors.js';
import { lazyList } from '../lazy-list.js';
import { checkAlt } from './_check-alt.js';
import { fileRoots } from './_check-files.js';
import { checkInputs, type InputsResult } from './_check-inputs.js';
import { checkOutputs } from './_check-outputs.js';
import { checkPicks } from './_check-pick.js';
import { checkRecipe } from './_check-recipe.js';
import { checkSchema } from './_check-schema.js';
import { checkSteps } from './_check-steps.js';
import { placeholderText, type StepInfo, type TemplateScope } from './_check-templates.js';
import { type CheckContext, type FileUse, listAt, stepsOf } from './_context.js';
import { applyDeployments } from './_deployments.js';
import { checkInstanceCount, countableAssets } from './_instance-limit.js';
import { isRecord } from './_paths.js';
import { createProblemSink } from './_problems.js';
import { applyProfile } from './_profiles.js';
import type { Validators } from './_validators.js';
import { parseYamlSource } from './_yaml-source.js';
import { type AssetInstance, expandInstances, listInstances, stepTextVariable } from './instances.js';
import type { AssetgenRecipe } from './recipe-types.generated.js';
import { stepCatalogModel, stepProducesText, upstreamImageStep } from './steps.js';
import type { TemplateValue } from './templates.js';

export interface ValidateResult {
  recipe?: AssetgenRecipe;
  problems: RecipeProblem[];
  /** Worth saying, not errors (e.g. a prompt longer than the model reads). */
  warnings: RecipeProblem[];
  /** Local files the recipe names, to inspect (decode) before anything runs. */
  files: FileUse[];
}

export interface ValidateOptions {
  /** Most asset × variant instances (overrides the recipe's `limits.max_instances`). */
  maxInstances?: number;
  /** Folders besides the recipe's own that local files may come from (absolute). */
  allowRoots?: readonly string[];
  /** Refuse models whose schema was never fetched (`--frozen`, `check`). */
  requireSchemas?: boolean;
  /** The profile to apply (`profiles:`); an unknown one is a problem. */
  profile?: string;
}

/** `file` is the name problems are reported under; `dir` is where relative files resolve. */
export function validateRecipeText(
  text: string,
  file: string,
  dir: string,
  validators: Validators,
  options: ValidateOptions = {},
): ValidateResult {
  const source = parseYamlSource(text, file);
  const { problems, locate } = source;
  const failed = (): ValidateResult => ({ problems: problems.list(), warnings: [], files: [] });
  if (source.data === undefined) return failed();
  const shaped = checkSchema(source.data, validators, problems);
  if (shaped === undefined) return failed();
  const applied = applyProfile(shaped, options.profile, problems);
  const deployed = applyDeployments(applied.data, validators.catalog, problems);
  const redirects = [deployed.redirect, applied.redirect].filter((map) => map !== undefined);
  if (redirects.length > 0) {
    source.redirect((segments) => {
      for (const map of redirects) {
        const moved = map(segments);
        if (moved !== undefined) return moved;
      }
      return undefined;
    });
  }
  const { data } = deployed;

  const context: CheckContext = {
    data,
    problems,
    validators,
    catalog: validators.catalog,
    dir,
    roots: fileRoots(dir, options.allowRoots),
    files: new Map(),
    warnings: createProblemSink(file, locate),
    locate,
    requireSchemas: options.requireSchemas === true,
  };
  checkRecipe(context);
  checkPicks(context);
  checkSteps(context);
  // The product of assets and variant values is checked before anything is expanded.
  const expandable = checkInstanceCount(context, options.maxInstances);
  const real = expandable ? safeInstances(data) : [];
  const lenient = real.length === 0;
  const instances = lenient ? [stubInstance(data)] : real;
  const scope = createScopes(context, instances, lenient);
  const inputs = checkInputs(context, { instances, scope });
  checkOutputs(context, {
    instances,
    scope: (instanceIndex) => scope(listAt(data, 'steps').length, instanceIndex),
    imageCount: createImageCounter(context, inputs),
  });
  checkAlt(context, instances.length, (instanceIndex) => scope(listAt(data, 'steps').length, instanceIndex));
  const files = [...context.files.values()];
  if (problems.count > 0) return { problems: problems.list(), warnings: [], files };
  applyDefaults(context, inputs);
  return {
    recipe: data as unknown as AssetgenRecipe,
    problems: [],
    warnings: context.warnings.list(),
    files,
  };
}

/** Instances of the assets that are well-formed enough to expand, each id once (others were reported). */
function safeInstances(data: Record<string, unknown>): AssetInstance[] {
  const assets = countableAssets(data);
  const variants = isRecord(data.variants) ? data.variants : {};
  const recipe = {
    ...data,
    name: typeof data.name === 'string' ? data.name : '',
    vars: isRecord(data.vars) ? data.vars : {},
    assets,
    variants: Object.fromEntries(Object.entries(variants).filter(([, values]) => Array.isArray(values))),
  } as unknown as AssetgenRecipe;
  // Made when read (lazy-list.ts): the checks go through every instance, and 100,000 of them held at
  // once would be the largest thing validation keeps.
  const list = listInstances(recipe);
  return lazyList(list.length, (index) => list.at(index));
}

/** Stands in for the assets when none can be expanded, so inputs and paths are still checked. */
function stubInstance(data: Record<string, unknown>): AssetInstance {
  const [instance] = expandInstances({
    name: typeof data.name === 'string' ? data.name : '',
    vars: isRecord(data.vars) ? data.vars : {},
    assets: [{ id: 'asset' }],
    steps: [],
    outputs: [],
  } as unknown as AssetgenRecipe);
  return instance as AssetInstance;
}

function createScopes(
  context: CheckContext,
  instances: readonly AssetInstance[],
  lenient: boolean,
): (stepIndex: number, instanceIndex: number) => TemplateScope {
  const steps = new Map<string, StepInfo>();
  for (const { step, index } of stepsOf(context.data)) {
    if (typeof step.id === 'string' && !steps.has(step.id))
      steps.set(step.id, { index, text: stepProducesText(step, context.catalog) });
  }
  const anyInstanceNames = new Set(instances.flatMap((instance) => Object.keys(instance.vars)));
  const stepCount = listAt(context.data, 'steps').length;
  return (stepIndex, instanceIndex) => {
    const instance = instances[instanceIndex] as AssetInstance;
    const vars: Record<string, TemplateValue> = { ...instance.vars };
    for (const [id, info] of steps) {
      if (info.text && info.index < stepIndex) vars[stepTextVariable(id)] = placeholderText(id, instance);
    }
    return {
      instance,
      vars,
      anyInstanceNames,
      lenient,
      place: stepIndex < stepCount ? 'input' : 'output',
      stepIndex,
      steps,
    };
  };
}

/** How many images a step makes per run of an instance: num_outputs, times the upstream's count when fed by it. */
function createImageCounter(
  context: CheckContext,
  inputs: InputsResult,
): (stepIndex: number, instanceIndex: number) => number {
  const recipe = context.data as unknown as AssetgenRecipe;
  const steps = listAt(context.data, 'steps');
  const count = (stepIndex: number, instanceIndex: number): number => {
    const step = steps[stepIndex];
    if (!isRecord(step)) return 1;
    const upstream = upstreamImageStep(recipe, stepIndex, context.catalog);
    const upstreamCount = upstream === undefined ? 1 : count(steps.indexOf(upstream), instanceIndex);
    if (step.model === undefined) return upstreamCount;
    const model = stepCatalogModel(
      recipe.steps[stepIndex] as AssetgenRecipe['steps'][number],
      context.catalog,
    );
    const requested = inputs.numOutputs.get(stepIndex)?.[instanceIndex];
    let own =
      model?.output === 'file-array' && typeof requested === 'number'
        ? Math.max(1, Math.floor(requested))
        : 1;
    const field = model?.imageInput;
    const input = isRecord(step.input) ? step.input : {};
    if (field !== undefined && input[field] === undefined && upstream !== undefined) own *= upstreamCount;
    return Math.min(own, 64);
  };
  return count;
}

function applyDefaults(context: CheckContext, inputs: InputsResult): void {
  for (const { step, index } of stepsOf(context.data)) {
    const defaults = inputs.defaults.get(index);
    if (defaults === undefined) continue;
    step.input = { ...(step.input ?? {}), ...defaults };
  }
}
