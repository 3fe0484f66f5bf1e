/**
 * Pass 2 for model steps: each input is checked per asset instance with its templates filled in —
 * template variables, unknown keys, local files, the model's input schema (Ajv, defaults applied) —
 * reporting each problem once per location. Returns the defaults to apply and each instance's rendered num_outputs.
 */
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { CatalogModel } from '../models/catalog.js';
import { isFileProperty } from '../models/cog-schema.js';
import { schemaSource } from '../models/fetched-model.js';
import { takesImageList } from '../models/model-kinds.js';
import { translateAjvErrors } from './_ajv-errors.js';
import { checkLocalFile } from './_check-files.js';
import { warnLongPrompts } from './_check-prompts.js';
import { canRender, checkTemplateText, type TemplateScope } from './_check-templates.js';
import { type CheckContext, stepsOf } from './_context.js';
import { isRecord, type PathSegment, valueAt } from './_paths.js';
import { didYouMean, listOf } from './_suggest.js';
import { type AssetInstance, describeInstance } from './instances.js';
import type { AssetgenRecipe, Step } from './recipe-types.generated.js';
import { stepCatalogModel, upstreamImageStep } from './steps.js';
import { renderDeep, type TemplateValue } from './templates.js';

/** Stand-in for the upstream image while validating (the runner fills the real one). */
const UPSTREAM_PLACEHOLDER = 'https://upstream.invalid/image.png';
const URL_LIKE = /^[a-z][a-z0-9+.-]+:/i;

export interface InputsResult {
  /** Per model step index: the schema defaults the recipe did not set. */
  defaults: Map<number, Record<string, unknown>>;
  /**
   * Per model step index: the rendered `num_outputs` per instance (schema default included), the only
   * part of the rendered input the later checks need — not the inputs themselves, which for 100,000
   * instances would be the size of a whole plan.
   */
  numOutputs: Map<number, unknown[]>;
}

export interface InputScopes {
  instances: readonly AssetInstance[];
  /** The scope for a string of step `stepIndex` and instance `instanceIndex`. */
  scope(stepIndex: number, instanceIndex: number): TemplateScope;
}

export function checkInputs(context: CheckContext, scopes: InputScopes): InputsResult {
  const result: InputsResult = { defaults: new Map(), numOutputs: new Map() };
  for (const { step, index } of stepsOf(context.data)) {
    if (step.model === undefined || context.problems.hasAtOrBelow(['steps', index, 'input'])) continue;
    if (step.input !== undefined && !isRecord(step.input)) continue;
    const found = context.problems.hasAtOrBelow(['steps', index, 'model'])
      ? undefined
      : stepCatalogModel(step, context.catalog);
    // A model whose schema was never fetched is not checked (validation warned about it).
    const model = found?.unchecked === true ? undefined : found;
    checkStepInput(context, scopes, step, index, model, result);
  }
  return result;
}

function checkStepInput(
  context: CheckContext,
  scopes: InputScopes,
  step: Step,
  index: number,
  model: CatalogModel | undefined,
  result: InputsResult,
): void {
  const { problems } = context;
  const base: PathSegment[] = ['steps', index, 'input'];
  const raw: Record<string, unknown> = step.input ?? {};
  const properties = isRecord(model?.inputSchema.properties) ? model.inputSchema.properties : {};
  if (model !== undefined) {
    for (const key of Object.keys(raw)) {
      if (Object.hasOwn(properties, key)) continue;
      const hint =
        didYouMean(key, Object.keys(properties)) ||
        ` (${schemaSource(model)} takes: ${listOf(Object.keys(properties), 20)})`;
      problems.add([...base, key], `unknown input "${key}"${hint}`, { at: 'key' });
    }
  }
  const field = model?.imageInput;
  const fillsImage = field !== undefined && raw[field] === undefined;
  const upstream = upstreamImageStep(context.data as unknown as AssetgenRecipe, index, context.catalog);
  let imageMissing = false;
  if (model !== undefined && fillsImage && upstream === undefined && step.from === undefined) {
    const required = Array.isArray(model.inputSchema.required) && model.inputSchema.required.includes(field);
    if (required || model.kind === 'upscale' || model.kind === 'background-removal') {
      imageMissing = true;
      problems.add(
        base,
        `missing required input "${field}": ${model.ref} needs an input image and no earlier step makes one ` +
          `(set input.${field} to a file or URL, or put an image-making step before it)`,
      );
    }
  }

  const numOutputs: unknown[] = [];
  scopes.instances.forEach((instance, instanceIndex) => {
    const scope = scopes.scope(index, instanceIndex);
    const ok = templatesOk(raw, base, scope, context);
    // Keys whose templates cannot be filled (reported above) are left out of the schema check.
    const dropped = new Set(Object.keys(raw).filter((key) => !ok && !renderable(raw[key], scope.vars)));
    const kept = Object.fromEntries(Object.entries(raw).filter(([key]) => !dropped.has(key)));
    const rendered = renderDeep(kept, scope.vars) as Record<string, unknown>;
    numOutputs[instanceIndex] = rendered.num_outputs;
    warnLongPrompts(context, rendered, raw, base, model, instance);
    if (model === undefined) return;
    const forAjv = { ...rendered };
    replaceLocalFiles(context, forAjv, raw, properties, base, instance);
    if (field !== undefined && (upstream !== undefined || step.from !== undefined)) {
      if (takesImageList(model, field)) {
        const listed = Array.isArray(forAjv[field]) ? (forAjv[field] as unknown[]) : [];
        if (fillsImage || step.from !== undefined) forAjv[field] = [UPSTREAM_PLACEHOLDER, ...listed];
      } else if (fillsImage) forAjv[field] = UPSTREAM_PLACEHOLDER;
    }
    const before = new Set(Object.keys(forAjv));
    const validate = context.validators.modelInput(model);
    if (!validate(forAjv)) {
      for (const error of translateAjvErrors(validate.errors ?? [], {
        data: forAjv,
        base,
        model: schemaSource(model),
      })) {
        const missing = (error.params as { missingProperty?: string }).missingProperty;
        if (error.keyword === 'required' && (imageMissing || dropped.has(String(missing)))) continue;
        if (error.keyword === 'additionalProperties') continue;
        const rawValue = valueAt(raw, error.segments.slice(base.length));
        const note = templateNote(rawValue, valueAt(forAjv, error.segments.slice(base.length)), instance);
        problems.add(error.segments, `${error.message}${note}`, {
          at: error.at,
          dedupe: `${error.segments.join('/')}\n${error.keyword}`,
        });
      }
    }
    if (!result.defaults.has(index)) {
      const added = Object.fromEntries(
        Object.entries(forAjv).filter(([key]) => !before.has(key) && !dropped.has(key)),
      );
      result.defaults.set(index, added);
    }
    if (!before.has('num_outputs')) numOutputs[instanceIndex] = forAjv.num_outputs;
  });
  result.numOutputs.set(index, numOutputs);
}

function templatesOk(
  value: unknown,
  segments: PathSegment[],
  scope: TemplateScope,
  context: CheckContext,
): boolean {
  if (typeof value === 'string') return checkTemplateText(value, segments, scope, context.problems);
  let ok = true;
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      ok = templatesOk(item, [...segments, i], scope, context) && ok;
    });
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value))
      ok = templatesOk(item, [...segments, key], scope, context) && ok;
  }
  return ok;
}

function renderable(value: unknown, vars: Readonly<Record<string, TemplateValue>>): boolean {
  if (typeof value === 'string') return canRender(value, vars);
  if (Array.isArray(value)) return value.every((item) => renderable(item, vars));
  if (isRecord(value)) return Object.values(value).every((item) => renderable(item, vars));
  return true;
}

/**
 * File inputs (`format: uri`, or lists of them) that name local files (a path or a `file:` URL) must be
 * readable files inside the allowed folders (their content is inspected after validation); Ajv then sees
 * them as file:// URLs.
 */
function replaceLocalFiles(
  context: CheckContext,
  input: Record<string, unknown>,
  raw: Record<string, unknown>,
  properties: Record<string, unknown>,
  base: PathSegment[],
  instance: AssetInstance,
): void {
  for (const [key, value] of Object.entries(input)) {
    if (!isFileProperty(properties[key])) continue;
    const templated = JSON.stringify(raw[key]) !== JSON.stringify(value);
    const note = templated ? ` for asset ${describeInstance(instance)}` : '';
    if (Array.isArray(value)) {
      input[key] = value.map((item, i) => localFileUrl(context, item, [...base, key, i], note));
    } else input[key] = localFileUrl(context, value, [...base, key], note);
  }
}

/** A local file named as a model input, checked and as a file:// URL; anything else as it was. */
function localFileUrl(context: CheckContext, value: unknown, at: PathSegment[], note: string): unknown {
  if (typeof value !== 'string' || value === '') return value;
  const isFileUrl = /^file:/i.test(value);
  if (URL_LIKE.test(value) && !isFileUrl) return value;
  const path = isFileUrl ? localPathOf(value) : value;
  if (path === undefined) {
    context.problems.add(at, `"${value}" is not a file URL that names a local file${note}`);
    return value;
  }
  checkLocalFile(context, at, path, { note, dedupe: `${at.join('/')}\nfile` });
  return pathToFileURL(resolve(context.dir, path)).href;
}

function localPathOf(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

/** ` ("{{ seed }}" gives "abc" for asset mug (seed-11))` when the value came from a template. */
function templateNote(raw: unknown, rendered: unknown, instance: AssetInstance): string {
  if (typeof raw !== 'string' || !raw.includes('{{')) return '';
  return ` ("${raw}" gives ${JSON.stringify(rendered as TemplateValue)} for asset ${describeInstance(instance)})`;
}
