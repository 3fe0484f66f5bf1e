/**
 * Rules for steps: model xor image, step ids, `from:` references, model references and the catalog, and
 * that image steps have an image to work on.
 */
import { expected } from '../errors.js';
import { parseModelRef } from '../models/catalog.js';
import { type CheckContext, stepsOf } from './_context.js';
import { isRecord } from './_paths.js';
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
    const hasModel = step.model !== undefined;
    const hasImage = step.image !== undefined;
    if (!hasModel && !hasImage) {
      problems.add(at, 'a step needs model: (a Replicate model) or image: (a list of local operations)');
    } else if (hasModel && hasImage) {
      problems.add([...at, 'image'], 'a step has model: or image:, not both; split it into two steps', {
        at: 'key',
      });
    }
    if (!hasModel) {
      for (const key of ['input', 'price'] as const) {
        if (step[key] !== undefined)
          problems.add([...at, key], `only model steps take ${key}:`, { at: 'key' });
      }
    }
    if (hasModel) checkModel(context, step, index);
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
  const model = catalog.get(name);
  if (model === undefined) {
    if (step.price === undefined) {
      const known = catalog.list().map((m) => m.ref);
      problems.add(
        at,
        `"${name}" is not in the catalog${didYouMean(name, known)}; to use it anyway, add ` +
          'price: { per_image: … } or price: { per_second: …, typical_seconds: … } to this step',
      );
    }
    return;
  }
  if (model.official && ref.version !== undefined) {
    problems.add(
      at,
      `${name} is an official model and has no versions; remove ":${ref.version.slice(0, 8)}…"`,
    );
  }
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
  if (model === undefined) {
    if (parseModelRef(step.model) !== undefined)
      problems.add(
        at,
        `the image input of "${step.model}" is unknown (not in the catalog); set it in input: instead`,
      );
    return;
  }
  if (model.imageInput === undefined) {
    problems.add(at, `${model.ref} takes no input image, so from: has nothing to feed`);
  } else if (isRecord(step.input) && step.input[model.imageInput] !== undefined) {
    problems.add(at, `input.${model.imageInput} is set too; remove one of them`);
  }
}
