/**
 * Output files: the format an output is written in, the variables its path can use and the rendered,
 * checked path. Validation and the planner both render output paths through here.
 */
import type { AssetInstance } from './instances.js';
import type { Output } from './recipe-types.generated.js';
import { renderTemplate, type TemplateValue } from './templates.js';

export type OutputFormatName = 'png' | 'jpeg' | 'webp' | 'avif';

export const OUTPUT_FORMATS: readonly OutputFormatName[] = ['png', 'jpeg', 'webp', 'avif'];

const EXTENSION_OF: Readonly<Record<OutputFormatName, string>> = {
  png: 'png',
  jpeg: 'jpg',
  webp: 'webp',
  avif: 'avif',
};
const FORMAT_OF_EXTENSION: Readonly<Record<string, OutputFormatName>> = {
  png: 'png',
  jpg: 'jpeg',
  jpeg: 'jpeg',
  webp: 'webp',
  avif: 'avif',
};

/** The file extension for a format (`jpeg` → `jpg`). */
export function formatExtension(format: OutputFormatName): string {
  return EXTENSION_OF[format];
}

/** The literal extension the path ends with (`.webp`), or undefined when it ends in a template or has none. */
export function pathExtension(path: string): string | undefined {
  const match = /\.([A-Za-z0-9]+)$/.exec(path);
  return match?.[1]?.toLowerCase();
}

/** `format:` (a name or a one-key object), else the path's extension; undefined when neither says. */
export function outputFormatName(output: Output): OutputFormatName | undefined {
  const { format } = output;
  if (typeof format === 'string') return format;
  if (typeof format === 'object' && format !== null) {
    const [name] = Object.keys(format);
    return OUTPUT_FORMATS.find((known) => known === name);
  }
  const extension = pathExtension(output.path);
  return extension === undefined ? undefined : FORMAT_OF_EXTENSION[extension];
}

export interface OutputFileOptions {
  /** The width of this file, for outputs with `widths:`. */
  width?: number;
  /** 1-based number of the image when the source step makes several (default 1). */
  n?: number;
  /** Results of text steps by step id (`{{ steps.<id>.text }}`). */
  stepTexts?: Readonly<Record<string, string>>;
}

/** The variables an output path sees: the instance's, plus format, ext, n, width (with widths) and step texts. */
export function outputPathVars(
  output: Output,
  instance: AssetInstance,
  options: OutputFileOptions = {},
): Record<string, TemplateValue> {
  const vars: Record<string, TemplateValue> = { ...instance.vars, n: options.n ?? 1 };
  const format = outputFormatName(output);
  if (format !== undefined) {
    vars.format = format;
    vars.ext = formatExtension(format);
  }
  if (options.width !== undefined) vars.width = options.width;
  for (const [id, text] of Object.entries(options.stepTexts ?? {})) vars[`steps.${id}.text`] = text;
  return vars;
}

/** Renders an output's path for one file (validation guarantees every variable exists). */
export function renderOutputPath(
  output: Output,
  instance: AssetInstance,
  options: OutputFileOptions = {},
): string {
  return renderTemplate(output.path, outputPathVars(output, instance, options));
}

/**
 * What is wrong with a path that must stay inside a folder (an output path, the recipe's output folder),
 * or undefined when it is fine. Run it again on paths rendered at run time (step texts).
 */
export function relativePathProblem(path: string): string | undefined {
  if (path.trim() === '') return 'is empty';
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.startsWith('/') || path.startsWith('\\') || /^[A-Za-z]:/.test(path)) {
    return `"${path}" is absolute; it must be relative to the output folder`;
  }
  if (path.includes('\\')) return `"${path}" contains "\\"; separate folders with "/"`;
  let depth = 0;
  for (const segment of path.split('/')) {
    if (segment === '..') depth--;
    else if (segment !== '.' && segment !== '') depth++;
    if (depth < 0) return `"${path}" leaves the output folder ("..")`;
  }
  return undefined;
}
