/**
 * Rules for outputs: the step they write, their format, and their paths — rendered for every asset
 * instance × width × image number — which must stay inside the output folder and never collide.
 */
import { posix } from 'node:path';
import { checkTemplateText, type TemplateScope } from './_check-templates.js';
import { type CheckContext, listAt, stepsOf } from './_context.js';
import { isRecord } from './_paths.js';
import { didYouMean } from './_suggest.js';
import { type AssetInstance, describeInstance } from './instances.js';
import {
  formatExtension,
  OUTPUT_FORMATS,
  outputFormatName,
  outputPathVars,
  pathExtension,
  relativePathProblem,
} from './outputs.js';
import type { Output } from './recipe-types.generated.js';
import { stepProducesImage, stepProducesText } from './steps.js';
import { renderTemplate } from './templates.js';

export interface OutputScopes {
  instances: readonly AssetInstance[];
  /** The template scope of an output path for one instance (without output variables). */
  scope(instanceIndex: number): TemplateScope;
  /** How many images the step makes per run of an instance (num_outputs along the chain). */
  imageCount(stepIndex: number, instanceIndex: number): number;
}

interface FileClaim {
  outputIndex: number;
  instance: AssetInstance;
  width: number | undefined;
  n: number;
  count: number;
  rendered: string;
}

/** A claim as kept until a collision needs it: the instance by its index (instances are made when read). */
type KeptClaim = Omit<FileClaim, 'instance'> & { instanceIndex: number };

export function checkOutputs(context: CheckContext, scopes: OutputScopes): void {
  const claims = new Map<string, KeptClaim>();
  listAt(context.data, 'outputs').forEach((value, outputIndex) => {
    if (!isRecord(value)) return;
    const output = value as unknown as Output;
    const source = sourceStep(context, output, outputIndex);
    if (typeof output.path !== 'string' || context.problems.hasAtOrBelow(['outputs', outputIndex, 'path']))
      return;
    if (!checkFormat(context, output, outputIndex)) return;
    scopes.instances.forEach((instance, instanceIndex) => {
      const count = source === undefined ? 1 : Math.min(scopes.imageCount(source, instanceIndex), 64);
      checkFiles(context, scopes, claims, output, outputIndex, instance, instanceIndex, count);
    });
  });
}

/** Index of the step this output writes, reporting a bad `from:` or a recipe that makes no image. */
function sourceStep(context: CheckContext, output: Output, outputIndex: number): number | undefined {
  const steps = stepsOf(context.data);
  const { catalog, problems } = context;
  if (output.from === undefined) {
    const last = steps.filter(({ step }) => stepProducesImage(step, catalog)).at(-1);
    if (last === undefined && steps.length > 0)
      problems.add(['outputs', outputIndex], 'no step makes an image for this output to write');
    return last?.index;
  }
  if (typeof output.from !== 'string' || problems.hasAtOrBelow(['outputs', outputIndex, 'from']))
    return undefined;
  const named = steps.find(({ step }) => step.id === output.from);
  if (named === undefined) {
    const ids = steps.map(({ step }) => step.id).filter((id) => typeof id === 'string');
    problems.add(['outputs', outputIndex, 'from'], `no step "${output.from}"${didYouMean(output.from, ids)}`);
    return undefined;
  }
  if (!stepProducesImage(named.step, catalog)) {
    const what = stepProducesText(named.step, catalog) ? 'makes text, not an image' : 'makes no image';
    problems.add(['outputs', outputIndex, 'from'], `step "${output.from}" ${what}`);
    return undefined;
  }
  return named.index;
}

function checkFormat(context: CheckContext, output: Output, outputIndex: number): boolean {
  if (context.problems.hasAtOrBelow(['outputs', outputIndex, 'format'])) return false;
  const format = outputFormatName(output);
  const extension = pathExtension(output.path);
  const at = ['outputs', outputIndex, 'path'];
  if (format === undefined) {
    const known = OUTPUT_FORMATS.map(formatExtension).join(', ');
    const why =
      extension === undefined
        ? 'the path has no extension'
        : `".${extension}" is not a format assetgen writes`;
    context.problems.add(
      at,
      `cannot tell the format: ${why} (add format: or end the path in one of .${known.replaceAll(', ', ', .')})`,
    );
    return false;
  }
  if (output.format !== undefined && extension !== undefined) {
    const fromExtension = outputFormatName({ path: output.path });
    if (fromExtension !== undefined && fromExtension !== format) {
      context.problems.add(
        at,
        `the path ends in .${extension} but format: is ${format} (end it in .${formatExtension(format)} or {{ ext }})`,
      );
    }
  }
  return true;
}

function checkFiles(
  context: CheckContext,
  scopes: OutputScopes,
  claims: Map<string, KeptClaim>,
  output: Output,
  outputIndex: number,
  instance: AssetInstance,
  instanceIndex: number,
  count: number,
): void {
  const at = ['outputs', outputIndex, 'path'];
  const base = scopes.scope(instanceIndex);
  const widths: (number | undefined)[] = Array.isArray(output.widths) ? output.widths : [undefined];
  const vars = { ...base.vars, ...outputPathVars(output, instance, { width: widths[0] }) };
  const scope: TemplateScope = { ...base, vars };
  if (!checkTemplateText(output.path, at, scope, context.problems)) return;
  for (const width of widths) {
    for (let n = 1; n <= count; n++) {
      const rendered = renderTemplate(output.path, {
        ...vars,
        ...outputPathVars(output, instance, { width, n }),
      });
      const problem = relativePathProblem(rendered);
      if (problem !== undefined) {
        const from =
          rendered === output.path ? '' : ` (from "${output.path}" for asset ${describeInstance(instance)})`;
        context.problems.add(at, `${problem}${from}`, { dedupe: `${at.join('/')}\npath` });
        return;
      }
      const key = posix.normalize(rendered).toLowerCase();
      const earlier = claims.get(key);
      if (earlier === undefined) {
        claims.set(key, { outputIndex, instanceIndex, width, n, count, rendered });
        continue;
      }
      const { instanceIndex: earlierIndex, ...kept } = earlier;
      const first: FileClaim = { ...kept, instance: scopes.instances[earlierIndex] as AssetInstance };
      const claim: FileClaim = { outputIndex, instance, width, n, count, rendered };
      reportCollision(context, first, claim, output, instance);
    }
  }
}

function reportCollision(
  context: CheckContext,
  earlier: FileClaim,
  later: FileClaim,
  output: Output,
  instance: AssetInstance,
): void {
  const at = ['outputs', earlier.outputIndex, 'path'];
  const path = listAt(context.data, 'outputs')[earlier.outputIndex] as Output;
  const caseNote =
    earlier.rendered === later.rendered
      ? ''
      : ` and "${later.rendered}" (one file on case-insensitive file systems)`;
  const where =
    earlier.outputIndex === later.outputIndex
      ? `for ${describeClaim(earlier)} and ${describeClaim(later)}`
      : `as outputs[${later.outputIndex}].path for ${describeClaim(later)}`;
  const hint = collisionHint(context, earlier, later, output, instance);
  context.problems.add(
    at,
    `"${path.path}" gives the same file "${earlier.rendered}"${caseNote} ${where} (add ${hint} to tell them apart)`,
    { dedupe: `${at.join('/')}\ncollision\n${later.outputIndex}` },
  );
}

function describeClaim(claim: FileClaim): string {
  let text = `asset ${describeInstance(claim.instance)}`;
  if (claim.width !== undefined) text += ` at width ${claim.width}`;
  if (claim.count > 1) text += ` image ${claim.n}`;
  return text;
}

function collisionHint(
  context: CheckContext,
  a: FileClaim,
  b: FileClaim,
  output: Output,
  instance: AssetInstance,
): string {
  const hints: string[] = [];
  if (a.instance.assetId !== b.instance.assetId) hints.push('{{ id }}');
  for (const name of Object.keys(b.instance.variant)) {
    if (a.instance.variant[name] !== b.instance.variant[name]) hints.push(`{{ ${name} }}`);
  }
  if (a.width !== b.width) hints.push('{{ width }}');
  if (a.n !== b.n) hints.push('{{ n }}');
  if (hints.length === 0) {
    const other = listAt(context.data, 'outputs')[a.outputIndex] as Output;
    if (outputFormatName(other) !== outputFormatName(output)) hints.push('{{ ext }}');
    if (other.widths !== undefined || output.widths !== undefined) hints.push('{{ width }}');
    for (const name of Object.keys(instance.variant)) hints.push(`{{ ${name} }}`);
  }
  if (hints.length === 0) return 'a different name';
  return hints.length === 1 ? (hints[0] ?? '') : `${hints.slice(0, -1).join(', ')} or ${hints.at(-1)}`;
}
