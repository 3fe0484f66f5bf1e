/**
 * Templates: `{{ name }}` and `{{ name | filter }}` lookups, nothing else — no expressions, no code.
 * Filters: lower, upper, slug, trim. `{{` always starts a template (there is no escape). Names are
 * letters, digits, `_` and `-`, with dotted parts for step results (`steps.idea.text`).
 */
import { InternalError } from '../errors.js';

export type TemplateValue = string | number | boolean;

export const TEMPLATE_FILTERS = ['lower', 'upper', 'slug', 'trim'] as const;
export type TemplateFilter = (typeof TEMPLATE_FILTERS)[number];

export interface TemplateVariablePart {
  kind: 'variable';
  name: string;
  filters: TemplateFilter[];
  /** The template as written, e.g. `{{ name | slug }}`. */
  source: string;
}

export type TemplatePart = { kind: 'text'; text: string } | TemplateVariablePart;

export interface TemplateSyntaxError {
  message: string;
  /** Character offset of the offending `{{` in the text. */
  index: number;
}

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Variable names in order of first use, without duplicates. */
  variables: string[];
  /** Syntax problems; a template with errors cannot be rendered. */
  errors: TemplateSyntaxError[];
}

const NAME = /^[A-Za-z_][\w-]*(\.[\w-]+)*$/;

/**
 * Parsed templates by their text. A recipe holds a few templates, and each is read every time an asset
 * is planned — several times an asset, 100,000 assets in a large run — so each text is parsed once. The
 * results are frozen (readers only read them); a pure function's memo, bounded (cleared when full, and
 * only short texts), so it holds nothing a run could observe.
 */
const parsedTemplates = new Map<string, ParsedTemplate>();
const MEMO_ENTRIES = 1024;
const MEMO_TEXT_LENGTH = 4096;

export function parseTemplate(text: string): ParsedTemplate {
  const known = parsedTemplates.get(text);
  if (known !== undefined) return known;
  const parsed = parseTemplateText(text);
  for (const part of parsed.parts) {
    if (part.kind === 'variable') Object.freeze(part.filters);
    Object.freeze(part);
  }
  for (const error of parsed.errors) Object.freeze(error);
  for (const list of [parsed.parts, parsed.variables, parsed.errors]) Object.freeze(list);
  Object.freeze(parsed);
  if (text.length <= MEMO_TEXT_LENGTH) {
    if (parsedTemplates.size >= MEMO_ENTRIES) parsedTemplates.clear();
    parsedTemplates.set(text, parsed);
  }
  return parsed;
}

function parseTemplateText(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const errors: TemplateSyntaxError[] = [];
  const variables: string[] = [];
  let cursor = 0;
  while (cursor < text.length) {
    const open = text.indexOf('{{', cursor);
    if (open === -1) break;
    if (open > cursor) parts.push({ kind: 'text', text: text.slice(cursor, open) });
    const close = text.indexOf('}}', open + 2);
    if (close === -1) {
      errors.push({
        index: open,
        message: `"{{" is never closed with "}}" ("{{" always starts a template, like {{ name }})`,
      });
      parts.push({ kind: 'text', text: text.slice(open) });
      cursor = text.length;
      break;
    }
    const source = text.slice(open, close + 2);
    const part = parseVariable(source, text.slice(open + 2, close), open, errors);
    if (part !== undefined) {
      parts.push(part);
      if (!variables.includes(part.name)) variables.push(part.name);
    }
    cursor = close + 2;
  }
  if (cursor < text.length) parts.push({ kind: 'text', text: text.slice(cursor) });
  return { parts, variables, errors };
}

function parseVariable(
  source: string,
  inner: string,
  index: number,
  errors: TemplateSyntaxError[],
): TemplateVariablePart | undefined {
  const [head = '', ...rest] = inner.split('|').map((piece) => piece.trim());
  if (head === '') {
    errors.push({ index, message: `empty template "${source}" (write {{ name }})` });
    return undefined;
  }
  if (!NAME.test(head)) {
    errors.push({
      index,
      message: `"${source}" is not a variable name: templates only look up variables ({{ name }} or {{ name | filter }}), no expressions`,
    });
    return undefined;
  }
  const filters: TemplateFilter[] = [];
  for (const filter of rest) {
    if ((TEMPLATE_FILTERS as readonly string[]).includes(filter)) filters.push(filter as TemplateFilter);
    else
      errors.push({
        index,
        message: `unknown filter "${filter}" in "${source}" (filters: ${TEMPLATE_FILTERS.join(', ')})`,
      });
  }
  return { kind: 'variable', name: head, filters, source };
}

/** The variable names a text uses (syntax errors are ignored here; validation reports them). */
export function templateVariables(text: string): string[] {
  return parseTemplate(text).variables;
}

/** Whether the text holds any template at all. */
export function hasTemplate(text: string): boolean {
  return text.includes('{{');
}

export function applyFilter(value: string, filter: TemplateFilter): string {
  switch (filter) {
    case 'lower':
      return value.toLowerCase();
    case 'upper':
      return value.toUpperCase();
    case 'trim':
      return value.trim();
    case 'slug':
      return slugify(value);
  }
}

/** `Soft Studio Light!` → `soft-studio-light`; accents are dropped (`café` → `cafe`). */
export function slugify(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function lookup(name: string, vars: Readonly<Record<string, TemplateValue>>, text: string): TemplateValue {
  if (!Object.hasOwn(vars, name)) {
    throw new InternalError(`template "${text}" names the unknown variable "${name}" after validation`);
  }
  return vars[name] as TemplateValue;
}

function renderParsed(
  parsed: ParsedTemplate,
  vars: Readonly<Record<string, TemplateValue>>,
  text: string,
): string {
  if (parsed.errors.length > 0) {
    throw new InternalError(`template "${text}" is invalid after validation: ${parsed.errors[0]?.message}`);
  }
  let out = '';
  for (const part of parsed.parts) {
    if (part.kind === 'text') out += part.text;
    else out += part.filters.reduce(applyFilter, String(lookup(part.name, vars, text)));
  }
  return out;
}

/** Renders one text. Throws InternalError on an unknown variable or a syntax error (validation prevents both). */
export function renderTemplate(text: string, vars: Readonly<Record<string, TemplateValue>>): string {
  if (!hasTemplate(text)) return text;
  return renderParsed(parseTemplate(text), vars, text);
}

/** Renders one string leaf; a string that is exactly one filter-less template keeps the variable's type. */
export function renderValue(text: string, vars: Readonly<Record<string, TemplateValue>>): TemplateValue {
  if (!hasTemplate(text)) return text;
  const parsed = parseTemplate(text);
  const [only] = parsed.parts;
  if (
    parsed.parts.length === 1 &&
    parsed.errors.length === 0 &&
    only?.kind === 'variable' &&
    only.filters.length === 0
  ) {
    return lookup(only.name, vars, text);
  }
  return renderParsed(parsed, vars, text);
}

/** Renders every string leaf of a JSON value; a string that is exactly one template keeps the variable's type (number/boolean). */
export function renderDeep(value: unknown, vars: Readonly<Record<string, TemplateValue>>): unknown {
  if (typeof value === 'string') return renderValue(value, vars);
  if (Array.isArray(value)) return value.map((item) => renderDeep(item, vars));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = renderDeep(item, vars);
    return out;
  }
  return value;
}
