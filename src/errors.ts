/**
 * The one error family of assetgen. Every error carries a stable `code`; the CLI maps the class to an
 * exit code (see cli/exit-codes.ts) and prints `message` without a stack unless asked.
 */

export class AssetgenError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where a problem sits in a recipe file. Lines and columns are 1-based. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/** One problem found in a recipe: `file:line:column  recipe.path: what is wrong (what was expected)`. */
export interface RecipeProblem {
  location: SourceLocation;
  /** Dotted path inside the recipe, e.g. `steps[1].input.scale`; empty for the whole document. */
  path: string;
  message: string;
}

export function formatProblem(problem: RecipeProblem): string {
  const { file, line, column } = problem.location;
  const where = problem.path === '' ? '(recipe)' : problem.path;
  return `${file}:${line}:${column}  ${where}: ${problem.message}`;
}

/** One or more recipe problems, all reported at once. */
export class RecipeError extends AssetgenError {
  readonly problems: readonly RecipeProblem[];
  constructor(problems: readonly RecipeProblem[]) {
    super('RECIPE_INVALID', problems.map(formatProblem).join('\n'));
    this.problems = problems;
  }
}

/** Bad command-line usage (unknown flag value, missing file …). */
export class UsageError extends AssetgenError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** The estimate or the spend would exceed the budget. */
export class BudgetError extends AssetgenError {
  readonly estimatedUsd: number;
  readonly maxUsd: number;
  /** Where the recipe sets the budget (a recipe's `budget.max_usd`; none for `--max-cost`). */
  readonly location: SourceLocation | undefined;
  constructor(message: string, estimatedUsd: number, maxUsd: number, location?: SourceLocation) {
    super('OVER_BUDGET', message);
    this.estimatedUsd = estimatedUsd;
    this.maxUsd = maxUsd;
    this.location = location;
  }
}

export interface ProviderErrorDetails {
  provider: string;
  model?: string;
  status?: number;
  predictionId?: string;
  retryable?: boolean;
}

/** A provider call failed (HTTP error, failed prediction, bad output). Never carries secrets. */
export class ProviderError extends AssetgenError {
  readonly details: ProviderErrorDetails;
  constructor(code: string, message: string, details: ProviderErrorDetails, options?: { cause?: unknown }) {
    super(code, message, options);
    this.details = details;
  }
  get retryable(): boolean {
    return this.details.retryable === true;
  }
}

/** A step's result failed a quality gate on every try it was allowed (run/checked-model-step.ts). */
export class CheckFailedError extends AssetgenError {
  constructor(message: string) {
    super('CHECK_FAILED', message);
  }
}

/** `--frozen`: a paid task would have to run; carries the reason (prompt changed, version moved …). */
export class FrozenError extends AssetgenError {
  constructor(message: string) {
    super('FROZEN', message);
  }
}

/**
 * A manifest that cannot be read: missing, not JSON, not matching schema/manifest.schema.json, or of a
 * format version this assetgen does not know (`code` MANIFEST_MISSING, MANIFEST_INVALID, MANIFEST_VERSION).
 */
export class ManifestError extends AssetgenError {
  readonly path: string;
  /** What is wrong, one entry per problem (`/recipes/x/assets/0/status: must be …`). */
  readonly problems: readonly string[];
  constructor(
    code: 'MANIFEST_MISSING' | 'MANIFEST_INVALID' | 'MANIFEST_VERSION' | 'SHARD_MISSING' | 'SHARD_MISMATCH',
    path: string,
    message: string,
    problems: readonly string[] = [],
  ) {
    super(code, message);
    this.path = path;
    this.problems = problems;
  }
}

/**
 * A file or folder cannot be written (disk full, no permission, read-only, a file in the way, a symbolic
 * link out of the output folder). `message` is one line: what, where, why and what to do.
 */
export class WriteError extends AssetgenError {
  /** The file or folder that could not be written. */
  readonly path: string;
  /** The system's error code (ENOSPC, EACCES …), when there was one. */
  readonly errno: string | undefined;
  constructor(
    code: string,
    message: string,
    where: { path: string; errno?: string },
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.path = where.path;
    this.errno = where.errno;
  }
}

/** Checks before the run found places it could not write: nothing was run, nothing was spent. */
export class PreflightError extends AssetgenError {
  readonly failures: readonly WriteError[];
  constructor(failures: readonly WriteError[]) {
    super('PREFLIGHT', [...failures.map((failure) => failure.message), 'nothing was run.'].join('\n'));
    this.failures = failures;
  }
}

/**
 * The cache store cannot be used: a bad `--cache` URL, no credentials, a missing bucket, access denied
 * (found before anything is spent), or a store that stopped answering during the run. Never holds secrets.
 */
export class StoreError extends AssetgenError {
  /** Found while opening the store, before any task ran (a usage problem, exit 2). */
  readonly beforeRun: boolean;
  constructor(code: string, message: string, options: { beforeRun?: boolean; cause?: unknown } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.beforeRun = options.beforeRun ?? false;
  }
}

/** The run was cancelled (Ctrl-C, SIGTERM, AbortSignal). */
export class CancelledError extends AssetgenError {
  constructor(message = 'cancelled') {
    super('CANCELLED', message);
  }
}

/** A broken invariant inside assetgen: this is a bug. */
export class InternalError extends AssetgenError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', `${message} (this is a bug in assetgen, please report it)`, options);
  }
}

/** One wording for every bad value: `expected X for Y but received Z`. */
export function expected(what: string, forWhat: string, received: unknown): string {
  return `expected ${what} for ${forWhat} but received ${describeValue(received)}`;
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string')
    return `"${value.length > 60 ? `${value.slice(0, 57)}...` : value}" of type string`;
  if (typeof value === 'object') return 'an object';
  return `${String(value)} of type ${typeof value}`;
}
