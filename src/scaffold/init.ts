/**
 * `assetgen init`: writes the starter files into a project folder. Never overwrites a file; the
 * `.gitignore` lines are appended once.
 *
 * The recipe's `$schema` path is relative to the recipe, to the schema file editors can open:
 * 1. `node_modules/assetgen/schema/recipe.schema.json` in the project folder or a folder above it (assetgen
 *    installed as a dependency: the usual case);
 * 2. else, when the project lies inside the assetgen package that runs (this repository), its own
 *    `schema/recipe.schema.json`;
 * 3. else the project's `node_modules/assetgen/schema/…`, which exists once assetgen is installed there
 *    (said in `note`).
 */
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { createFileAtomic, writeFileAtomic } from '../store/atomic.js';
import {
  GITIGNORE,
  GITIGNORE_LINES,
  IGNORED_FORMS,
  STARTER_RECIPE,
  starterRecipe,
  WORKFLOW,
  WORKFLOW_TEXT,
} from './starter-files.js';

export interface InitOptions {
  /** The assetgen package whose schema a recipe inside it points to (default: the one running). */
  packageRoot?: string;
}

export type InitStatus = 'written' | 'kept' | 'appended' | 'present';

export interface InitFile {
  /** Absolute path. */
  path: string;
  status: InitStatus;
}

export interface InitResult {
  dir: string;
  files: InitFile[];
  /** The `$schema` path written into the recipe (relative to its folder). */
  schemaRef: string;
  /** Set when the schema is not there yet (assetgen not installed in the project). */
  note?: string;
}

const SCHEMA = ['schema', 'recipe.schema.json'];

export async function initProject(dir: string, options: InitOptions = {}): Promise<InitResult> {
  const root = resolve(dir);
  await ensureFolder(root);
  const recipe = join(root, STARTER_RECIPE);
  const { ref, note } = await schemaReference(dirname(recipe), root, options.packageRoot ?? packageRoot);
  const files: InitFile[] = [
    { path: recipe, status: (await createFileAtomic(recipe, starterRecipe(ref))) ? 'written' : 'kept' },
    await appendIgnoreLines(join(root, GITIGNORE)),
    {
      path: join(root, WORKFLOW),
      status: (await createFileAtomic(join(root, WORKFLOW), WORKFLOW_TEXT)) ? 'written' : 'kept',
    },
  ];
  return { dir: root, files, schemaRef: ref, ...(note === undefined ? {} : { note }) };
}

async function ensureFolder(root: string): Promise<void> {
  try {
    if (!(await stat(root)).isDirectory()) throw new UsageError(`${root} is a file, not a folder`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

const posix = (path: string): string => path.split(sep).join('/');

export async function schemaReference(
  recipeDir: string,
  projectDir: string,
  ownRoot: string,
): Promise<{ ref: string; note?: string }> {
  for (let folder = projectDir; ; folder = dirname(folder)) {
    const installed = join(folder, 'node_modules', 'assetgen', ...SCHEMA);
    if (await exists(installed)) return { ref: posix(relative(recipeDir, installed)) };
    if (dirname(folder) === folder) break;
  }
  const inside = relative(ownRoot, projectDir);
  if (!inside.startsWith('..') && !inside.startsWith(sep) && (await exists(join(ownRoot, ...SCHEMA)))) {
    return { ref: posix(relative(recipeDir, join(ownRoot, ...SCHEMA))) };
  }
  return {
    ref: posix(relative(recipeDir, join(projectDir, 'node_modules', 'assetgen', ...SCHEMA))),
    note: 'the $schema line points into node_modules/assetgen: install assetgen in this project (npm install --save-dev assetgen) for completion and inline errors in editors',
  };
}

async function appendIgnoreLines(path: string): Promise<InitFile> {
  let text = '';
  let mode: number | undefined;
  try {
    text = await readFile(path, 'utf8');
    mode = (await stat(path)).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines.some((line) => IGNORED_FORMS.includes(line))) return { path, status: 'present' };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const separator = text === '' ? '' : text.endsWith('\n') ? eol : eol + eol;
  const added = `${text}${separator}${GITIGNORE_LINES.join(eol)}${eol}`;
  if (text === '' && mode === undefined) {
    if (await createFileAtomic(path, added)) return { path, status: 'written' };
    return appendIgnoreLines(path);
  }
  await writeFileAtomic(path, added, mode === undefined ? {} : { mode });
  return { path, status: 'appended' };
}
