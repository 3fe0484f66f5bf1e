/**
 * Local files a recipe names (composite overlays, model file inputs): they must stay inside the recipe's
 * folder or a root the caller allowed — lexically (`..`, absolute paths) and after following symbolic
 * links — and exist as files (checked while validating). Their contents are inspected afterwards
 * (`inspectRecipeFiles`, asynchronous): each must decode as an image within the pixel limit, so that a
 * corrupt or oversized file fails at `validate`, not after a prediction that needed it was paid for.
 */
import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { RecipeProblem } from '../errors.js';
import type { CheckContext, FileUse } from './_context.js';
import { formatPath, type PathSegment } from './_paths.js';
import { hasTemplate } from './templates.js';

/** Folders a recipe may read files from: its own, plus any the caller allowed (absolute paths). */
export interface FileRoots {
  recipeDir: string;
  allowed: readonly string[];
  /** The same folders with symbolic links resolved (those that exist). */
  real: readonly string[];
}

export function fileRoots(recipeDir: string, allowed: readonly string[] = []): FileRoots {
  const all = [recipeDir, ...allowed].map((dir) => resolve(dir));
  const real = all.flatMap((dir) => {
    try {
      return [realpathSync(dir)];
    } catch {
      return [];
    }
  });
  return { recipeDir: resolve(recipeDir), allowed: all.slice(1), real };
}

const isInside = (path: string, root: string): boolean => {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
};

/**
 * Checks one local file named at `segments` (reports the problem and returns false), and records it for
 * the content inspection. `note` is added to the message (e.g. ` for asset mug`).
 */
export function checkLocalFile(
  context: CheckContext,
  segments: readonly PathSegment[],
  file: string,
  options: { note?: string; dedupe?: string } = {},
): boolean {
  const problem = localFileProblem(file, context.dir, context.roots);
  if (problem !== undefined) {
    const add = options.dedupe === undefined ? {} : { dedupe: options.dedupe };
    context.problems.add(segments, `${problem}${options.note ?? ''}`, add);
    return false;
  }
  const path = realpathSync(resolve(context.dir, file));
  const recipePath = formatPath(segments);
  const key = `${recipePath}\n${path}`;
  if (!context.files.has(key)) {
    const location = context.locate(segments, 'value');
    context.files.set(key, { location, recipePath, shown: file, path, note: options.note ?? '' });
  }
  return true;
}

function localFileProblem(file: string, dir: string, roots: FileRoots): string | undefined {
  if (hasTemplate(file)) return 'templates are not expanded here; name one file';
  const full = resolve(dir, file);
  const where = describeRoots(roots);
  if (![roots.recipeDir, ...roots.allowed].some((root) => isInside(full, root))) {
    return (
      `file "${file}" is outside ${where}; only files inside are read ` +
      `(move it there, or allow its folder with --allow-root ${dirname(full)})`
    );
  }
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    return `file "${file}" not found (looked for ${full})`;
  }
  if (!roots.real.some((root) => isInside(real, root))) {
    return (
      `file "${file}" is a symbolic link to ${real}, outside ${where}; only files inside are read ` +
      `(copy the file there, or allow its folder with --allow-root ${dirname(real)})`
    );
  }
  try {
    if (statSync(real).isDirectory()) return `"${file}" is a folder, not an image file`;
  } catch {
    return `file "${file}" not found (looked for ${full})`;
  }
  return undefined;
}

function describeRoots(roots: FileRoots): string {
  const own = `the recipe's folder (${roots.recipeDir})`;
  return roots.allowed.length === 0 ? own : `${own} and the allowed roots (${roots.allowed.join(', ')})`;
}

/** Files inspected at once (each decode may hold a large image in memory). */
const INSPECT_CONCURRENCY = 4;

/**
 * Decodes every recorded file once (header first: an image over the pixel limit is refused without
 * decoding it) and returns a problem at each place that names a file which is not a usable image.
 */
export async function inspectRecipeFiles(file: string, uses: readonly FileUse[]): Promise<RecipeProblem[]> {
  if (uses.length === 0) return [];
  const { inspectImageFile } = await import('../image/index.js');
  const paths = [...new Set(uses.map((use) => use.path))];
  const verdicts = new Map<string, string | undefined>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const path = paths[next++] as string;
      const verdict = await inspectImageFile(path);
      verdicts.set(path, verdict.ok ? undefined : verdict.reason);
    }
  };
  await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, paths.length) }, worker));
  const problems: RecipeProblem[] = [];
  const seen = new Set<string>();
  for (const use of uses) {
    const reason = verdicts.get(use.path);
    if (reason === undefined) continue;
    // One problem per place, like a missing file: the first bad file a template names there.
    const key = `${use.location.line}:${use.location.column}\n${use.recipePath}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const message = `file "${use.shown}" ${reason}${use.note}`;
    problems.push({ location: { file, ...use.location }, path: use.recipePath, message });
  }
  return problems;
}
