/** Checks the templates of one string for one asset instance: syntax, and that every variable exists. */

import type { PathSegment } from './_paths.js';
import type { ProblemSink } from './_problems.js';
import { didYouMean, listOf } from './_suggest.js';
import { type AssetInstance, describeInstance, OUTPUT_VARIABLES } from './instances.js';
import { parseTemplate, type TemplateValue } from './templates.js';

export interface StepInfo {
  index: number;
  text: boolean;
}

export interface TemplateScope {
  instance: AssetInstance;
  /** Every variable this string may use for this instance (step texts as placeholders). */
  vars: Readonly<Record<string, TemplateValue>>;
  /** Variables some instance has (to tell "not set for this asset" from "unknown"). */
  anyInstanceNames: ReadonlySet<string>;
  /** No real instance exists (the asset list is broken): unknown variables are not reported. */
  lenient: boolean;
  place: 'input' | 'output';
  /** The step the string belongs to (steps.length for outputs). */
  stepIndex: number;
  steps: ReadonlyMap<string, StepInfo>;
}

/** A stand-in for a text step's result during validation (distinct per instance, like real texts). */
export function placeholderText(stepId: string, instance: AssetInstance): string {
  return [stepId, 'text', instance.assetId, instance.variantLabel].filter((part) => part !== '').join('-');
}

/** Whether `text` renders with `vars` (no syntax errors, every variable known); reports nothing. */
export function canRender(text: string, vars: Readonly<Record<string, TemplateValue>>): boolean {
  if (!text.includes('{{')) return true;
  const parsed = parseTemplate(text);
  return parsed.errors.length === 0 && parsed.variables.every((name) => Object.hasOwn(vars, name));
}

/** Reports template problems in `text`; returns true when it can be rendered with `scope.vars`. */
export function checkTemplateText(
  text: string,
  segments: readonly PathSegment[],
  scope: TemplateScope,
  problems: ProblemSink,
): boolean {
  if (!text.includes('{{')) return true;
  const parsed = parseTemplate(text);
  for (const error of parsed.errors) problems.add(segments, error.message);
  let ok = parsed.errors.length === 0;
  for (const name of parsed.variables) {
    if (Object.hasOwn(scope.vars, name)) continue;
    ok = false;
    if (scope.lenient) continue;
    problems.add(segments, unknownVariable(name, scope), { dedupe: `${segments.join('/')}\n${name}` });
  }
  return ok;
}

function unknownVariable(name: string, scope: TemplateScope): string {
  const template = `{{ ${name} }}`;
  const stepMatch = /^steps\.([^.]+)(?:\.(.*))?$/.exec(name);
  if (name === 'steps' || stepMatch !== null)
    return stepTextProblem(template, stepMatch?.[1], stepMatch?.[2], scope);
  if ((OUTPUT_VARIABLES as readonly string[]).includes(name)) {
    if (scope.place === 'input') return `${template} is only available in output paths`;
    if (name === 'width') return `${template} is only set on outputs with widths: [...]`;
    return `${template} needs a known format: add format: or end the path in .png, .jpg, .webp or .avif`;
  }
  if (scope.anyInstanceNames.has(name)) {
    return `variable "${name}" is not set for asset ${describeInstance(scope.instance)} (set it on that asset, in vars: or in variants:)`;
  }
  const known = Object.keys(scope.vars).filter((v) => !v.startsWith('steps.'));
  return `unknown variable "${name}"${didYouMean(name, Object.keys(scope.vars))}; known: ${listOf(known.sort(), 20)}`;
}

function stepTextProblem(
  template: string,
  id: string | undefined,
  field: string | undefined,
  scope: TemplateScope,
): string {
  if (id === undefined || field !== 'text')
    return `${template}: a step's result is written {{ steps.<id>.text }}`;
  const step = scope.steps.get(id);
  if (step === undefined) return `${template}: no step "${id}"${didYouMean(id, [...scope.steps.keys()])}`;
  if (step.index >= scope.stepIndex) return `${template}: step "${id}" does not run before this one`;
  return `${template}: step "${id}" makes an image, not text (only language-model steps give text)`;
}
