/** What every validation pass gets: the data (possibly invalid), where to report, and the run's tools. */
import type { Catalog } from '../models/catalog.js';
import type { FileRoots } from './_check-files.js';
import { isRecord } from './_paths.js';
import type { Locator, ProblemSink } from './_problems.js';
import type { Validators } from './_validators.js';
import type { Step } from './recipe-types.generated.js';

export interface CheckContext {
  /** The parsed recipe; shape problems may remain, so passes guard every access. */
  data: Record<string, unknown>;
  problems: ProblemSink;
  validators: Validators;
  catalog: Catalog;
  /** Folder of the recipe file: relative file names resolve against it. */
  dir: string;
  /** Where local files may come from. */
  roots: FileRoots;
  /** Local files the recipe names (by place and file), for the content inspection after validation. */
  files: Map<string, FileUse>;
  /** Not errors, but worth saying (a prompt longer than the model reads). */
  warnings: ProblemSink;
  locate: Locator;
  /** `--frozen`/`check`: a model whose schema was never fetched is a problem, not a warning. */
  requireSchemas: boolean;
}

/** A local file named at one place in the recipe (checked to exist; its content is inspected later). */
export interface FileUse {
  location: { line: number; column: number };
  recipePath: string;
  /** As the recipe wrote it. */
  shown: string;
  /** Absolute, symbolic links resolved. */
  path: string;
  /** Added to messages, e.g. ` for asset mug (seed-11)` when the name came from a template. */
  note: string;
}

/** The recipe's list at `key`, or an empty list when it is missing or not a list. */
export function listAt(data: Record<string, unknown>, key: string): unknown[] {
  const value = data[key];
  return Array.isArray(value) ? value : [];
}

/** Steps that are objects, with their index; others were reported by the schema pass. */
export function stepsOf(data: Record<string, unknown>): { step: Step; index: number }[] {
  return listAt(data, 'steps').flatMap((step, index) =>
    isRecord(step) ? [{ step: step as unknown as Step, index }] : [],
  );
}
