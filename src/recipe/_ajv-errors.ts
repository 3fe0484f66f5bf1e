/**
 * Ajv errors → house wording. anyOf failures are collapsed to the branch that fits the value best;
 * each remaining keyword gets a sentence of its own (see `expected()` in errors.ts).
 */
import type { ErrorObject } from 'ajv';
import { expected } from '../errors.js';
import { formatPath, isRecord, type PathSegment, pointerSegments } from './_paths.js';
import type { Anchor } from './_problems.js';
import { didYouMean, listOf } from './_suggest.js';

export interface TranslateContext {
  /** The data Ajv validated (to tell array indexes from keys). */
  data: unknown;
  /** Segments to prepend to every path (e.g. `steps, 1, input` for a model's input). */
  base: readonly PathSegment[];
  /** A model ref: ranges and names then read "nightmareai/real-esrgan accepts 0 to 10". */
  model?: string;
}

export interface Translated {
  segments: PathSegment[];
  message: string;
  at: Anchor;
  keyword: string;
  params: Record<string, unknown>;
}

type Schema = Record<string, unknown>;

export function translateAjvErrors(errors: readonly ErrorObject[], context: TranslateContext): Translated[] {
  const out: Translated[] = [];
  for (const error of collapseAnyOf(errors)) {
    const segments = pointerSegments(error.instancePath, context.data);
    const translated = translateOne(error, segments, context);
    out.push({
      ...translated,
      segments: [...context.base, ...translated.segments],
      keyword: error.keyword,
      params: error.params,
    });
  }
  return out;
}

/** Replaces each anyOf failure by the errors of the branch that fits the value (by type, then fewest errors). */
function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  let remaining = [...errors];
  for (const anyOf of errors.filter((e) => e.keyword === 'anyOf')) {
    const prefix = `${anyOf.schemaPath}/`;
    const inBranch = (e: ErrorObject) =>
      e.schemaPath.startsWith(prefix) && `${e.instancePath}/`.startsWith(`${anyOf.instancePath}/`);
    const branches = (anyOf.schema as Schema[]) ?? [];
    const byBranch = branches.map((_, i) =>
      remaining.filter((e) => inBranch(e) && e.schemaPath.startsWith(`${prefix}${i}/`)),
    );
    const fitting = branches
      .map((branch, i) => ({
        i,
        errors: byBranch[i] ?? [],
        fits: typeFits(branch.type, anyOf.data) && keysFit(branch, anyOf.data),
      }))
      .filter((b) => b.fits)
      .sort((a, b) => a.errors.length - b.errors.length);
    remaining = remaining.filter((e) => e !== anyOf && !inBranch(e));
    const best = fitting[0];
    if (best !== undefined && best.errors.length > 0) remaining.push(...best.errors);
    else remaining.push({ ...anyOf, keyword: 'anyOf-none' });
  }
  return remaining;
}

function typeFits(type: unknown, data: unknown): boolean {
  if (type === undefined) return true;
  const types = Array.isArray(type) ? type : [type];
  return types.some((t) => jsonType(data) === t || (t === 'number' && jsonType(data) === 'integer'));
}

/** For an object value: the branch knows at least one of its keys (or the value is empty). */
function keysFit(branch: Schema, data: unknown): boolean {
  if (!isRecord(data) || !isRecord(branch.properties)) return true;
  const keys = Object.keys(data);
  return keys.length === 0 || keys.some((key) => Object.hasOwn(branch.properties as Schema, key));
}

function jsonType(data: unknown): string {
  if (data === null) return 'null';
  if (Array.isArray(data)) return 'array';
  if (typeof data === 'number') return Number.isInteger(data) ? 'integer' : 'number';
  return typeof data;
}

function translateOne(
  error: ErrorObject,
  segments: PathSegment[],
  context: TranslateContext,
): { segments: PathSegment[]; message: string; at: Anchor } {
  const parent = (error.parentSchema ?? {}) as Schema;
  const name = subjectName(segments, context);
  const value = error.data;
  const at = (message: string, anchor: Anchor = 'value', where = segments) => ({
    segments: where,
    message,
    at: anchor,
  });
  switch (error.keyword) {
    case 'required': {
      const key = String((error.params as { missingProperty: string }).missingProperty);
      const what = context.model === undefined ? 'key' : 'input';
      const needs = context.model === undefined ? '' : ` (${context.model} needs it)`;
      return at(`missing required ${what} "${key}"${needs}`);
    }
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((parent.properties as Schema | undefined) ?? {});
      const noun = isOperationSchema(parent) ? 'operation' : isFormatSchema(parent) ? 'format' : 'key';
      const hint = didYouMean(key, known) || (known.length > 0 ? ` (known: ${listOf(known)})` : '');
      return at(`unknown ${noun} "${key}"${hint}`, 'key', [...segments, key]);
    }
    case 'type':
      return at(expected(typeWords(error.schema), name, value));
    case 'enum': {
      const options = (error.schema as unknown[]).map((o) => JSON.stringify(o));
      const suggestion =
        typeof value === 'string' ? didYouMean(value, (error.schema as unknown[]).map(String)) : '';
      return at(`${expected(`one of ${listOf(options, 15)}`, name, value)}${suggestion}`);
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { comparison, limit } = error.params as { comparison: string; limit: number };
      return at(`must be ${comparison} ${limit} (${context.model ?? name} accepts ${rangeWords(parent)})`);
    }
    case 'minItems':
      return at(minItemsMessage(segments, Number((error.params as { limit: number }).limit)));
    case 'uniqueItems': {
      const { i, j } = error.params as { i: number; j: number };
      const item = Array.isArray(value) ? value[j] : undefined;
      return at(`lists ${JSON.stringify(item)} twice (items ${j} and ${i}); list each value once`);
    }
    case 'pattern':
      return at(expected(patternWords(parent), name, value));
    case 'minLength':
      return at(
        value === '' ? 'must not be empty' : `must be at least ${String(error.schema)} characters long`,
      );
    case 'maxLength':
      return at(`must be at most ${String(error.schema)} characters long`);
    case 'minProperties':
      return at(minPropertiesMessage(parent));
    case 'maxProperties': {
      const keys = isRecord(value) ? Object.keys(value) : [];
      if (isOperationSchema(parent))
        return at(
          `an operation has exactly one key naming it, but this one has ${keys.length} (${keys.join(', ')}); put each in its own list item`,
        );
      if (isFormatSchema(parent))
        return at(`name exactly one format, not ${keys.length} (${keys.join(', ')})`);
      return at(`must have at most ${String(error.schema)} keys`);
    }
    case 'format':
      return at(expected(error.schema === 'uri' ? 'a URL' : `a ${String(error.schema)}`, name, value));
    case 'anyOf-none':
      return at(expected(anyOfWords(error.schema as Schema[]), name, value));
    default:
      return at(`${error.message ?? 'is invalid'} (${error.keyword})`);
  }
}

/** `scale`, `widths[1]` or `nightmareai/real-esrgan input "scale"`. */
function subjectName(segments: readonly PathSegment[], context: TranslateContext): string {
  let start = segments.length - 1;
  while (start > 0 && typeof segments[start] === 'number') start--;
  const tail = formatPath(segments.slice(Math.max(0, start)));
  const name = tail === '' ? formatPath(context.base) || 'the recipe' : tail;
  return context.model === undefined ? name : `${context.model} input "${name}"`;
}

function typeWords(type: unknown): string {
  const words: Record<string, string> = {
    integer: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'a mapping (key: value)',
    array: 'a list',
    null: 'nothing',
  };
  const list = Array.isArray(type) ? type : [type];
  if (list.length > 1) words.boolean = 'a boolean';
  const types = list.map((t) => words[String(t)] ?? String(t));
  return types.length === 1 ? (types[0] ?? '') : `${types.slice(0, -1).join(', ')} or ${types.at(-1)}`;
}

function rangeWords(schema: Schema): string {
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  const lowWord = schema.exclusiveMinimum !== undefined ? `more than ${low}` : `${low}`;
  if (low !== undefined && high !== undefined) {
    return schema.exclusiveMinimum === undefined && schema.exclusiveMaximum === undefined
      ? `${low} to ${high}`
      : `${lowWord} up to ${schema.exclusiveMaximum !== undefined ? `less than ${high}` : high}`;
  }
  if (low !== undefined) return schema.exclusiveMinimum !== undefined ? `more than ${low}` : `${low} or more`;
  return schema.exclusiveMaximum !== undefined ? `less than ${high}` : `${high} or less`;
}

function patternWords(schema: Schema): string {
  const pattern = String(schema.pattern ?? '');
  if (pattern.startsWith('^[A-Za-z0-9][A-Za-z0-9_-]'))
    return 'an identifier (letters, digits, "-" and "_", starting with a letter or digit, at most 64 characters)';
  if (pattern.startsWith('^(#'))
    return 'a colour (#rgb, #rgba, #rrggbb, #rrggbbaa, transparent, white or black)';
  if (pattern.startsWith('^[^/')) return 'a model reference (owner/name or owner/name:version)';
  const description =
    typeof schema.description === 'string' ? schema.description.replace(/\.$/, '') : undefined;
  return description ?? `a string matching ${pattern}`;
}

function minItemsMessage(segments: readonly PathSegment[], limit: number): string {
  const last = segments.at(-1);
  if (segments.length === 1 && last === 'assets')
    return 'the asset list is empty; add at least one asset (- id: …)';
  if (segments.length === 1 && last === 'steps') return 'the step list is empty; add at least one step';
  if (segments.length === 1 && last === 'outputs')
    return 'the output list is empty; add at least one output (- path: …)';
  return limit === 1 ? 'the list is empty; give at least one value' : `must list at least ${limit} values`;
}

function minPropertiesMessage(schema: Schema): string {
  if (isOperationSchema(schema))
    return `empty operation; name one: ${Object.keys((schema.properties as Schema) ?? {}).join(', ')}`;
  if (isFormatSchema(schema)) return 'name one format: png, jpeg, webp or avif';
  const text = typeof schema.description === 'string' ? schema.description.replace(/\.$/, '') : '';
  return text === ''
    ? 'must not be empty'
    : `must not be empty: ${text.charAt(0).toLowerCase()}${text.slice(1)}`;
}

function anyOfWords(branches: readonly Schema[]): string {
  if (branches.some((b) => isFormatSchema(b)))
    return 'a format name (png, jpeg, webp, avif) or one like { webp: { quality: 80 } }';
  if (branches.some((b) => isRecord(b.properties) && 'per_image' in b.properties))
    return 'a price like { per_image: 0.01 } or { per_second: 0.000225, typical_seconds: 5 }';
  return branches.map((b) => typeWords(b.type)).join(' or ');
}

function isOperationSchema(schema: Schema): boolean {
  return isRecord(schema.properties) && 'resize' in schema.properties && 'crop' in schema.properties;
}

function isFormatSchema(schema: Schema): boolean {
  return isRecord(schema.properties) && 'png' in schema.properties && 'webp' in schema.properties;
}
