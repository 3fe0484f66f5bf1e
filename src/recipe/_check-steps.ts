/**
 * Rules for steps: model xor image, step ids, `from:` references, model references and the catalog, and
 * that image steps have an image to work on.
 */
import { expected } from '../errors.js';
import { type CatalogModel, parseModelRef } from '../models/catalog.js';
import { isFileProperty } from '../models/cog-schema.js';
import { schemaSource } from '../models/fetched-model.js';
import { takesImageList } from '../models/model-kinds.js';
import { type CheckContext, stepsOf } from './_context.js';
import { isRecord, type PathSegment } from './_paths.js';
import { didYouMean } from './_suggest.js';
import type { AssetgenRecipe, Step } from './recipe-types.generated.js';
import { stepCatalogModel, stepProducesImage, stepProducesText, upstreamImageStep } from './steps.js';

export function checkSteps(context: CheckContext): void {
  const { problems } = context;
  const steps = stepsOf(context.data);
  const firstIndexOf = new Map<string, number>();
  for (const { step, index } of steps) {
    if (typeof step.id !== 'string') continue;
    const first = firstIndexOf.get(step.id);
    if (first === undefined) firstIndexOf.set(step.id, index);
    else
      problems.add(['steps', index, 'id'], `duplicate step id "${step.id}" (steps[${first}] has it already)`);
  }

  for (const { step, index } of steps) {
    const at = ['steps', index];
    const hasModel = step.model !== undefined || step.deployment !== undefined;
    const hasImage = step.image !== undefined;
    if (!hasModel && !hasImage) {
      problems.add(
        at,
        'a step needs model: (a Replicate model), deployment: (a Replicate deployment) or image: (a list of local operations)',
      );
    } else if (hasModel && hasImage) {
      problems.add([...at, 'image'], 'a step has model: or image:, not both; split it into two steps', {
        at: 'key',
      });
    }
    if (!hasModel) {
      for (const key of ['input', 'price', 'official', 'image_input', 'kind'] as const) {
        if (step[key] !== undefined)
          problems.add([...at, key], `only model steps take ${key}:`, { at: 'key' });
      }
    }
    if (step.model !== undefined) checkModel(context, step, index);
    checkFrom(context, step, index, firstIndexOf);
    if (hasImage && !hasModel && step.from === undefined && !problems.hasAtOrBelow([...at, 'image'])) {
      const recipe = context.data as unknown as AssetgenRecipe;
      if (upstreamImageStep(recipe, index, context.catalog) === undefined) {
        problems.add(
          [...at, 'image'],
          index === 0
            ? 'the first step cannot be an image step: there is no image yet (start with a model step)'
            : 'no earlier step makes an image for these operations to work on',
          { at: 'key' },
        );
      }
    }
  }
}

function checkModel(context: CheckContext, step: Step, index: number): void {
  const { problems, catalog } = context;
  const at = ['steps', index, 'model'];
  if (typeof step.model !== 'string' || problems.hasAtOrBelow(at)) return;
  const ref = parseModelRef(step.model);
  if (ref === undefined) {
    problems.add(
      at,
      expected('a model reference owner/name or owner/name:<64 hex digits version>', 'model', step.model),
    );
    return;
  }
  const name = `${ref.owner}/${ref.name}`;
  const model = stepCatalogModel(step, catalog);
  if (model === undefined) {
    const known = catalog.list().map((m) => m.ref);
    if (catalog.missing?.has(name) === true) {
      problems.add(at, `Replicate has no model "${name}"${didYouMean(name, known)}; check the name`);
    } else if (step.price === undefined) {
      problems.add(
        at,
        `"${name}" is not in the catalog${didYouMean(name, known)}; to use it anyway, add ` +
          'price: { per_image: … } or price: { per_second: …, typical_seconds: … } to this step',
      );
    }
    return;
  }
  if (model.unchecked === true) reportUnchecked(context, at, name, ref.version);
  const official = model.unchecked === true ? step.official === true : model.official;
  if (official && ref.version !== undefined) {
    problems.add(
      at,
      `${name} is an official model and has no versions; remove ":${ref.version.slice(0, 8)}…"`,
    );
  }
  if (step.official !== undefined && model.unchecked !== true && step.official !== model.official) {
    const source = model.fetched === undefined ? 'the catalog' : 'Replicate';
    problems.add(
      ['steps', index, 'official'],
      `${name} is ${model.official ? 'an official' : 'a community'} model (${source} says so); remove official: ${step.official}`,
    );
  }
  checkImageInput(context, step, index, model);
}

/** A model whose schema was never fetched: a warning, or under --frozen/check a problem (exit 2). */
function reportUnchecked(
  context: CheckContext,
  at: PathSegment[],
  name: string,
  version: string | undefined,
): void {
  const add = `\`assetgen models add ${version === undefined ? name : `${name}:${version}`}\``;
  const known = context.catalog.list().map((m) => m.ref);
  const hint = didYouMean(name, known);
  if (context.requireSchemas) {
    context.problems.add(
      at,
      `the schema of ${name} is not pinned in assetgen.lock nor in the cache${hint}, so its inputs cannot be checked; ` +
        `run ${add} with REPLICATE_API_TOKEN set (or a run with a token) first`,
    );
  } else {
    context.warnings.add(
      at,
      `the inputs of ${name} are unchecked until its schema is fetched${hint}: run ${add} with REPLICATE_API_TOKEN set`,
    );
  }
}

/** `image_input:` names a file input of the model (when its schema is known). */
function checkImageInput(context: CheckContext, step: Step, index: number, model: CatalogModel): void {
  if (typeof step.image_input !== 'string' || model.unchecked === true) return;
  const properties = isRecord(model.inputSchema.properties) ? model.inputSchema.properties : {};
  const files = Object.keys(properties).filter((key) => isFileProperty(properties[key]));
  if (files.includes(step.image_input)) return;
  const what = Object.hasOwn(properties, step.image_input) ? 'does not take a file' : 'is no input';
  const hint =
    didYouMean(step.image_input, files) ||
    (files.length === 0 ? ` (${schemaSource(model)} takes no files)` : ` (file inputs: ${files.join(', ')})`);
  context.problems.add(
    ['steps', index, 'image_input'],
    `"${step.image_input}" ${what} of ${schemaSource(model)}${hint}`,
  );
}

function checkFrom(
  context: CheckContext,
  step: Step,
  index: number,
  firstIndexOf: Map<string, number>,
): void {
  const { problems, catalog } = context;
  const at = ['steps', index, 'from'];
  if (typeof step.from !== 'string' || problems.hasAtOrBelow(at)) return;
  const target = firstIndexOf.get(step.from);
  const earlierIds = [...firstIndexOf].filter(([, i]) => i < index).map(([id]) => id);
  if (target === undefined) {
    problems.add(
      at,
      `no step "${step.from}"${didYouMean(step.from, earlierIds)}; from: names an earlier step`,
    );
    return;
  }
  if (target === index) {
    problems.add(at, 'a step cannot take its image from itself; from: names an earlier step');
    return;
  }
  if (target > index) {
    problems.add(at, `step "${step.from}" comes later (steps[${target}]); from: names an earlier step`);
    return;
  }
  const source = stepsOf(context.data).find((s) => s.index === target)?.step;
  if (source !== undefined && !stepProducesImage(source, catalog)) {
    const what = stepProducesText(source, catalog) ? 'makes text, not an image' : 'makes no image';
    problems.add(at, `step "${step.from}" ${what}`);
    return;
  }
  if (step.model === undefined) return;
  const model = stepCatalogModel(step, catalog);
  const name = step.model.replace(/:.*$/, '');
  if (model === undefined) {
    if (parseModelRef(step.model) !== undefined)
      problems.add(
        at,
        `the image input of "${step.model}" is unknown (not in the catalog); set it in input: instead`,
      );
    return;
  }
  if (model.imageInput === undefined) {
    problems.add(
      at,
      model.unchecked === true
        ? `the image input of "${name}" is unknown until its schema is fetched; name it with image_input: or set it in input:`
        : `${schemaSource(model)} takes no input image, so from: has nothing to feed` +
            (model.fetched === undefined ? '' : ' (if it does, name the input with image_input:)'),
    );
  } else if (
    isRecord(step.input) &&
    step.input[model.imageInput] !== undefined &&
    !takesImageList(model, model.imageInput)
  ) {
    problems.add(at, `input.${model.imageInput} is set too; remove one of them`);
  }
}
